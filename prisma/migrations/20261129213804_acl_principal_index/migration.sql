-- CreateIndex
CREATE INDEX "AclEntry_principal_entityId_idx" ON "AclEntry"("principal", "entityId");
