-- CreateIndex
CREATE INDEX "Release_channelId_action_id_idx" ON "Release"("channelId", "action", "id");
