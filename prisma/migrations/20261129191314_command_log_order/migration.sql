-- DropIndex
DROP INDEX "SessionCommand_sessionId_eventsTo_idx";

-- DropIndex
DROP INDEX "SessionCommand_sessionId_index_key";

-- CreateIndex
CREATE INDEX "SessionCommand_sessionId_eventsTo_index_idx" ON "SessionCommand"("sessionId", "eventsTo", "index");


-- The log is append-only and in order: a row's index must be its session's
-- commandCount, so no index is written twice and none is skipped. The trigger
-- that keeps the counters (migration session_counters) now checks that too:
-- its UPDATE matches only when the index is the next one, and a row it did not
-- match is refused (a missing session matches nothing either).
DROP TRIGGER "SessionCommand_counters";

CREATE TRIGGER "SessionCommand_append" AFTER INSERT ON "SessionCommand"
FOR EACH ROW
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    SELECT RAISE(ABORT, 'SessionCommand: index out of order') WHERE changes() = 0;
END;
