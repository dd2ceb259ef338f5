-- AlterTable
ALTER TABLE "Revision" ADD COLUMN     "bases" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "title" TEXT,
ADD COLUMN     "version" TEXT;

-- Backfill revisions pushed before bases had a column, by the rules push
-- now applies (src/domain/bases.ts): manifest.yaml bases kept in metadata,
-- else the charm's series mapped to bases, architecture "all". Bundles keep [].
UPDATE "Revision" SET "bases" = "metadata"->'bases'
WHERE jsonb_typeof("metadata"->'bases') = 'array' AND jsonb_array_length("metadata"->'bases') > 0;

UPDATE "Revision" r SET "bases" = mapped.bases
FROM (
  SELECT r2."id", jsonb_agg(jsonb_build_object('name', m.name, 'channel', m.channel, 'architectures', jsonb_build_array('all')) ORDER BY s.ord) AS bases
  FROM "Revision" r2
  CROSS JOIN LATERAL unnest(r2."series") WITH ORDINALITY AS s(series, ord)
  JOIN (VALUES
    ('precise', 'ubuntu', '12.04'), ('trusty', 'ubuntu', '14.04'), ('xenial', 'ubuntu', '16.04'),
    ('bionic', 'ubuntu', '18.04'), ('focal', 'ubuntu', '20.04'), ('jammy', 'ubuntu', '22.04'),
    ('kinetic', 'ubuntu', '22.10'), ('lunar', 'ubuntu', '23.04'), ('mantic', 'ubuntu', '23.10'),
    ('noble', 'ubuntu', '24.04'), ('oracular', 'ubuntu', '24.10'), ('plucky', 'ubuntu', '25.04'),
    ('centos7', 'centos', '7'), ('centos8', 'centos', '8')
  ) AS m(series, name, channel) ON m.series = s.series
  WHERE r2."bases" = '[]'::jsonb AND r2."metadata"->>'kind' = 'charm'
  GROUP BY r2."id"
) AS mapped
WHERE r."id" = mapped."id";
