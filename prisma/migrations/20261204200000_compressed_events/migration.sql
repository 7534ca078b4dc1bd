-- A command's trace events stored compressed: chunks of at most a thousand
-- events, each chunk's JSON array text deflated (raw DEFLATE, RFC 1951) by the
-- simulator's worker, behind an index of the chunks' seqs and lengths
-- (server/simulator/stored-trace.ts). Repetitive JSON shrinks about 40-fold
-- (a ping round trip: 16 KB of text, 400 bytes stored). Rows written before
-- keep their text in "events"; new rows leave it empty.
ALTER TABLE "SessionCommand" ADD COLUMN "eventsDeflated" BLOB;

-- The append trigger counts what a row stores: its output, and its events as
-- text or deflated, whichever the row holds.
DROP TRIGGER "SessionCommand_append";

CREATE TRIGGER "SessionCommand_append" AFTER INSERT ON "SessionCommand"
FOR EACH ROW
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "storedBytes" = "storedBytes" + length(CAST(NEW."output" AS BLOB)) + length(CAST(NEW."events" AS BLOB)) + COALESCE(length(NEW."eventsDeflated"), 0),
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    SELECT RAISE(ABORT, 'SessionCommand: index out of order') WHERE changes() = 0;
END;
