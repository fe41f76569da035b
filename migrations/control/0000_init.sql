CREATE TABLE "bus_bindings" (
	"consumer" text NOT NULL,
	"event_type" text NOT NULL,
	CONSTRAINT "bus_bindings_consumer_event_type_pk" PRIMARY KEY("consumer","event_type")
);
--> statement-breakpoint
CREATE TABLE "bus_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"consumer" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"consumer" text NOT NULL,
	"event_type" text NOT NULL,
	"tenant" text,
	"envelope" jsonb NOT NULL,
	"error" text NOT NULL,
	"attempts" integer NOT NULL,
	"dead_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tenant_databases" (
	"code" text PRIMARY KEY NOT NULL,
	"placement" text NOT NULL,
	"schema_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"migrated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "bus_probes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"delay_ms" integer DEFAULT 0 NOT NULL,
	"fail" boolean DEFAULT false NOT NULL,
	"handled_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_handled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"message_id" uuid NOT NULL,
	"consumer" text NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_message_id_consumer_pk" PRIMARY KEY("message_id","consumer")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"tenant" text,
	"aggregate_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"traceparent" text,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "bus_bindings_type_idx" ON "bus_bindings" USING btree ("event_type");--> statement-breakpoint
CREATE UNIQUE INDEX "bus_messages_consumer_message_idx" ON "bus_messages" USING btree ("consumer","message_id");--> statement-breakpoint
CREATE INDEX "bus_messages_ready_idx" ON "bus_messages" USING btree ("consumer","available_at");--> statement-breakpoint
CREATE INDEX "dead_letters_dead_at_idx" ON "dead_letters" USING btree ("dead_at");--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_consumer_message_idx" ON "dead_letters" USING btree ("consumer","message_id");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("occurred_at") WHERE "outbox"."published_at" is null;