-- CreateTable
CREATE TABLE "ReadVersion" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "ReadVersion_pkey" PRIMARY KEY ("id")
);

-- The only row.
INSERT INTO "ReadVersion" ("id", "version") VALUES (1, 0);
ALTER TABLE "ReadVersion" ADD CONSTRAINT "ReadVersion_one_row" CHECK ("id" = 1);

-- Increases ReadVersion once per transaction that changed a table reads come from. Called by
-- DEFERRED constraint triggers, so it runs at commit: the row lock it takes is the last lock of
-- the transaction (no deadlock with the entity locks) and is held only while the commit completes.
-- Updates of the one row are serialised, so the version strictly increases in commit order:
-- a reader that sees version V has seen every write committed up to it.
-- The table is found in the schema of the table that changed (stores may live in a schema of their own).
CREATE FUNCTION "charmstore_bump_read_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('charmstore.read_version_bumped', true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('charmstore.read_version_bumped', 'on', true);
    EXECUTE format('UPDATE %I."ReadVersion" SET "version" = "version" + 1 WHERE "id" = 1', TG_TABLE_SCHEMA);
  END IF;
  RETURN NULL;
END
$$;

-- Puts the triggers on a table. Every table that a read answer comes from needs them: a migration
-- that creates one calls `SELECT "charmstore_track_read_version"('NewTable');`
-- (test/db/read-version.test.ts fails for a table without them that is not listed there as exempt).
CREATE FUNCTION "charmstore_track_read_version"("table_name" text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "charmstore_bump_read_version"()', "table_name" || '_read_version', "table_name");
  EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "charmstore_bump_read_version"()', "table_name" || '_read_version_truncate', "table_name");
END
$$;

-- Every table a read answer comes from, except "Token" (its use time changes on reads; no cached
-- answer shows tokens, and authentication reads the token on every request) and "DownloadCount"
-- (statistics, flushed in the background; answers showing them are never cached).
SELECT "charmstore_track_read_version"("name") FROM unnest(ARRAY['User', 'Group', 'GroupMember', 'Namespace', 'Entity', 'TopLevelName',
  'Revision', 'Resource', 'ResourceRevision', 'Track', 'Channel', 'Release', 'ChannelBase', 'ReleaseResource', 'AclEntry', 'Upload',
  'AuditEvent', 'Webhook', 'WebhookDelivery']) AS "tables"("name");
