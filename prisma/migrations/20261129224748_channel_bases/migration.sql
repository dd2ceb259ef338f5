-- AlterTable
ALTER TABLE "Release" ADD COLUMN     "bases" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "ResourceRevision" ADD COLUMN     "architectures" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "ChannelBase" (
    "id" SERIAL NOT NULL,
    "channelId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "baseChannel" TEXT NOT NULL,
    "architecture" TEXT NOT NULL,
    "revisionId" INTEGER NOT NULL,
    "releaseId" INTEGER NOT NULL,

    CONSTRAINT "ChannelBase_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChannelBase_revisionId_idx" ON "ChannelBase"("revisionId");

-- CreateIndex
CREATE INDEX "ChannelBase_releaseId_idx" ON "ChannelBase"("releaseId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelBase_channelId_name_baseChannel_architecture_key" ON "ChannelBase"("channelId", "name", "baseChannel", "architecture");

-- AddForeignKey
ALTER TABLE "ChannelBase" ADD CONSTRAINT "ChannelBase_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelBase" ADD CONSTRAINT "ChannelBase_revisionId_fkey" FOREIGN KEY ("revisionId") REFERENCES "Revision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelBase" ADD CONSTRAINT "ChannelBase_releaseId_fkey" FOREIGN KEY ("releaseId") REFERENCES "Release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill, by the rules release now applies (src/domain/channel-map.ts): each
-- open channel's map gets one entry per platform its revision declares (base x
-- architecture; no bases: the "any platform" entry, all ""), set by the
-- channel's newest release; each past release records its revision's bases.
INSERT INTO "ChannelBase" ("channelId", "name", "baseChannel", "architecture", "revisionId", "releaseId")
SELECT c."id", COALESCE(b.base->>'name', ''), COALESCE(b.base->>'channel', ''), COALESCE(a.architecture, ''), c."revisionId", newest."id"
FROM "Channel" c
JOIN "Revision" r ON r."id" = c."revisionId"
JOIN LATERAL (SELECT MAX(h."id") AS "id" FROM "Release" h WHERE h."channelId" = c."id" AND h."action" = 'RELEASE') newest ON newest."id" IS NOT NULL
LEFT JOIN LATERAL jsonb_array_elements(r."bases") AS b(base) ON TRUE
LEFT JOIN LATERAL jsonb_array_elements_text(b.base->'architectures') AS a(architecture) ON TRUE
WHERE NOT c."closed"
ON CONFLICT DO NOTHING;

UPDATE "Release" h SET "bases" = r."bases"
FROM "Revision" r
WHERE r."id" = h."revisionId" AND h."action" = 'RELEASE';
