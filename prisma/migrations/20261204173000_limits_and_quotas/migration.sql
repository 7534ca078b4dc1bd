-- Limits and quotas: the limits a session runs under, the bytes its log
-- stores, archiving, and where a command was stopped by a limit.
-- ADD COLUMN (rather than Prisma's table rebuild) keeps the Session table and
-- the triggers that name it as they are.
ALTER TABLE "Session" ADD COLUMN "limits" TEXT;
ALTER TABLE "Session" ADD COLUMN "storedBytes" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Session" ADD COLUMN "archivedAt" DATETIME;
ALTER TABLE "SessionCommand" ADD COLUMN "interruption" TEXT;

-- Sessions already logged count what they store.
UPDATE "Session" SET "storedBytes" = COALESCE(
    (SELECT SUM(length(CAST("output" AS BLOB)) + length(CAST("events" AS BLOB))) FROM "SessionCommand" WHERE "sessionId" = "Session"."id"), 0);

-- The append trigger (migration command_log_order) also adds the row's stored
-- bytes (output and events as UTF-8) to its session, in the same statement.
DROP TRIGGER "SessionCommand_append";

CREATE TRIGGER "SessionCommand_append" AFTER INSERT ON "SessionCommand"
FOR EACH ROW
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "storedBytes" = "storedBytes" + length(CAST(NEW."output" AS BLOB)) + length(CAST(NEW."events" AS BLOB)),
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    SELECT RAISE(ABORT, 'SessionCommand: index out of order') WHERE changes() = 0;
END;
