ALTER TABLE "orders" DROP CONSTRAINT "orders_kind_check";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "pickup_lat" double precision;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "pickup_lng" double precision;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "pickup_address" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "ride_class" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "scheduled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "driver_id" uuid;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "driver_user_id" uuid;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "driver_name" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "vehicle_id" uuid;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "vehicle_plate" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "vehicle_model" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "vehicle_class" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "proof_note" text;--> statement-breakpoint
CREATE INDEX "orders_scheduled_idx" ON "orders" USING btree ("scheduled_at") WHERE "orders"."status" = 'SCHEDULED';--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_kind_check" CHECK ("orders"."kind" in ('DELIVERY', 'RIDE'));