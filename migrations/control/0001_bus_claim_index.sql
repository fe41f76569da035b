DROP INDEX "bus_messages_ready_idx";--> statement-breakpoint
CREATE INDEX "bus_messages_claim_idx" ON "bus_messages" USING btree ("consumer","id");