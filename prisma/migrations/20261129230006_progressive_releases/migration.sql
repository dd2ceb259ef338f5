-- AlterTable
ALTER TABLE "Channel" ADD COLUMN     "previousReleaseId" INTEGER;

-- AlterTable
ALTER TABLE "ChannelBase" ADD COLUMN     "previousReleaseId" INTEGER;

-- AlterTable
ALTER TABLE "Release" ADD COLUMN     "progressivePercentage" INTEGER;

-- AddForeignKey
ALTER TABLE "Channel" ADD CONSTRAINT "Channel_previousReleaseId_fkey" FOREIGN KEY ("previousReleaseId") REFERENCES "Release"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelBase" ADD CONSTRAINT "ChannelBase_previousReleaseId_fkey" FOREIGN KEY ("previousReleaseId") REFERENCES "Release"("id") ON DELETE SET NULL ON UPDATE CASCADE;
