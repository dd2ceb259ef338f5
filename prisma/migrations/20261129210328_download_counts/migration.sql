-- CreateTable
CREATE TABLE "DownloadCount" (
    "entityId" INTEGER NOT NULL,
    "resourceName" TEXT NOT NULL DEFAULT '',
    "revision" INTEGER NOT NULL,
    "channel" TEXT NOT NULL DEFAULT '',
    "day" DATE NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "DownloadCount_pkey" PRIMARY KEY ("entityId","resourceName","revision","channel","day")
);

-- CreateIndex
CREATE INDEX "DownloadCount_entityId_day_idx" ON "DownloadCount"("entityId", "day");

-- AddForeignKey
ALTER TABLE "DownloadCount" ADD CONSTRAINT "DownloadCount_entityId_fkey" FOREIGN KEY ("entityId") REFERENCES "Entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;
