-- PostgreSQL twin of prisma/migrations/20261129183209_session_counters: a
-- session's counters follow its command log inside the database: each row
-- inserted into "SessionCommand" moves them in the same statement, so they can
-- never disagree with the log, and the server writes a group of commands with
-- one INSERT (see server/sessions/command-writer.ts).
CREATE FUNCTION "SessionCommand_counters"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" <= NEW."index";
    RETURN NULL;
END;
$$;

CREATE TRIGGER "SessionCommand_counters" AFTER INSERT ON "SessionCommand"
FOR EACH ROW EXECUTE FUNCTION "SessionCommand_counters"();
