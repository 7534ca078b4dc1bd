-- CreateTable
CREATE TABLE "Answer" (
    "id" SERIAL NOT NULL,
    "sessionId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Answer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GradingRun" (
    "id" TEXT NOT NULL,
    "labId" TEXT NOT NULL,
    "createdById" TEXT,
    "status" TEXT NOT NULL,
    "sessionCount" INTEGER NOT NULL,
    "tasks" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "GradingRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GradingSession" (
    "runId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "score" INTEGER NOT NULL,
    "maxScore" INTEGER NOT NULL,
    "error" TEXT,
    "gradedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GradingSession_pkey" PRIMARY KEY ("runId","sessionId")
);

-- CreateTable
CREATE TABLE "GradingResult" (
    "id" SERIAL NOT NULL,
    "runId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "checkIndex" INTEGER NOT NULL,
    "checkKind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "points" INTEGER NOT NULL,
    "feedbackEn" TEXT,
    "feedbackZh" TEXT,
    "gradedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GradingResult_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Answer_sessionId_id_idx" ON "Answer"("sessionId", "id");

-- CreateIndex
CREATE INDEX "GradingRun_labId_createdAt_idx" ON "GradingRun"("labId", "createdAt");

-- CreateIndex
CREATE INDEX "GradingRun_status_idx" ON "GradingRun"("status");

-- CreateIndex
CREATE INDEX "GradingSession_runId_gradedAt_idx" ON "GradingSession"("runId", "gradedAt");

-- CreateIndex
CREATE INDEX "GradingResult_runId_sessionId_idx" ON "GradingResult"("runId", "sessionId");

-- AddForeignKey
ALTER TABLE "Answer" ADD CONSTRAINT "Answer_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GradingRun" ADD CONSTRAINT "GradingRun_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "AccessToken"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GradingSession" ADD CONSTRAINT "GradingSession_runId_fkey" FOREIGN KEY ("runId") REFERENCES "GradingRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GradingResult" ADD CONSTRAINT "GradingResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "GradingRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

