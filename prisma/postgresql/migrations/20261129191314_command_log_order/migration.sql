-- PostgreSQL twin of prisma/migrations/20261129191314_command_log_order.

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
-- match is refused (a missing session matches nothing either). Two writers
-- appending to one session at once queue on the session row's lock; the
-- second one's WHERE is checked again against the committed counter, matches
-- nothing, and its row is refused. It runs BEFORE the insert, unlike
-- SQLite's AFTER trigger, so that it is checked before the foreign key (whose
-- check PostgreSQL runs as an AFTER trigger of its own): a row for a missing
-- session is refused with the same message on both. Either way the statement
-- is all or nothing.
DROP TRIGGER "SessionCommand_counters" ON "SessionCommand";
DROP FUNCTION "SessionCommand_counters"();

CREATE FUNCTION "SessionCommand_append"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'SessionCommand: index out of order';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "SessionCommand_append" BEFORE INSERT ON "SessionCommand"
FOR EACH ROW EXECUTE FUNCTION "SessionCommand_append"();
