CREATE TABLE "dispatch_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"order_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"ride_class" text,
	"pickup_lat" double precision NOT NULL,
	"pickup_lng" double precision NOT NULL,
	"dropoff_lat" double precision NOT NULL,
	"dropoff_lng" double precision NOT NULL,
	"status" text DEFAULT 'SEARCHING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_search_at" timestamp with time zone,
	"driver_id" uuid,
	"vehicle_id" uuid,
	"assigned_at" timestamp with time zone,
	"picked_up_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"distance_m" double precision DEFAULT 0 NOT NULL,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dispatch_jobs_status_check" CHECK ("dispatch_jobs"."status" in ('SEARCHING', 'OFFERED', 'ASSIGNED', 'PICKED_UP', 'DELIVERED', 'FAILED', 'CANCELLED')),
	CONSTRAINT "dispatch_jobs_driver_check" CHECK ("dispatch_jobs"."status" not in ('ASSIGNED', 'PICKED_UP', 'DELIVERED') or "dispatch_jobs"."driver_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "dispatch_offers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"driver_id" uuid NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"distance_km" double precision NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "dispatch_offers_status_check" CHECK ("dispatch_offers"."status" in ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CLOSED'))
);
--> statement-breakpoint
CREATE TABLE "job_trail" (
	"job_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	CONSTRAINT "job_trail_job_id_at_pk" PRIMARY KEY("job_id","at")
);
--> statement-breakpoint
CREATE TABLE "driver_positions" (
	"driver_id" uuid PRIMARY KEY NOT NULL,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	"heading" double precision,
	"speed" double precision,
	"at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dispatch_jobs" ADD CONSTRAINT "dispatch_jobs_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_jobs" ADD CONSTRAINT "dispatch_jobs_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_offers" ADD CONSTRAINT "dispatch_offers_job_id_dispatch_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."dispatch_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_offers" ADD CONSTRAINT "dispatch_offers_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_trail" ADD CONSTRAINT "job_trail_job_id_dispatch_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."dispatch_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "driver_positions" ADD CONSTRAINT "driver_positions_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dispatch_jobs_order_idx" ON "dispatch_jobs" USING btree ("tenant","order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dispatch_jobs_active_driver_idx" ON "dispatch_jobs" USING btree ("driver_id") WHERE "dispatch_jobs"."status" in ('ASSIGNED', 'PICKED_UP');--> statement-breakpoint
CREATE INDEX "dispatch_jobs_due_idx" ON "dispatch_jobs" USING btree ("next_search_at") WHERE "dispatch_jobs"."status" = 'SEARCHING';--> statement-breakpoint
CREATE INDEX "dispatch_jobs_vehicle_idx" ON "dispatch_jobs" USING btree ("vehicle_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "dispatch_offers_job_driver_idx" ON "dispatch_offers" USING btree ("job_id","driver_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dispatch_offers_open_job_idx" ON "dispatch_offers" USING btree ("job_id") WHERE "dispatch_offers"."status" = 'PENDING';--> statement-breakpoint
CREATE UNIQUE INDEX "dispatch_offers_open_driver_idx" ON "dispatch_offers" USING btree ("driver_id") WHERE "dispatch_offers"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "dispatch_offers_due_idx" ON "dispatch_offers" USING btree ("expires_at") WHERE "dispatch_offers"."status" = 'PENDING';