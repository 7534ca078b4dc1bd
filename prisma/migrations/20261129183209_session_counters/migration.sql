-- A session's counters follow its command log inside SQLite: each row
-- inserted into "SessionCommand" moves them in the same statement, so they can
-- never disagree with the log, and the server writes a group of commands with
-- one INSERT (see server/sessions/session-repository.ts).
CREATE TRIGGER "SessionCommand_counters" AFTER INSERT ON "SessionCommand"
FOR EACH ROW
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" <= NEW."index";
END;
