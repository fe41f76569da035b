CREATE TABLE "drivers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"vendor_id" uuid NOT NULL,
	"licence_number" text NOT NULL,
	"licence_class" text NOT NULL,
	"licence_expiry" date NOT NULL,
	"phone" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"rejection_reason" text,
	"verified_at" timestamp with time zone,
	"active_vehicle_id" uuid,
	"online" boolean DEFAULT false NOT NULL,
	"online_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drivers_status_check" CHECK ("drivers"."status" in ('PENDING', 'VERIFIED', 'REJECTED')),
	CONSTRAINT "drivers_online_since_check" CHECK ("drivers"."online" = ("drivers"."online_since" is not null))
);
--> statement-breakpoint
CREATE TABLE "vehicles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"driver_id" uuid NOT NULL,
	"plate" text NOT NULL,
	"make" text NOT NULL,
	"model" text NOT NULL,
	"year" integer NOT NULL,
	"class" text NOT NULL,
	"capacity" integer NOT NULL,
	"insurance_expiry" date NOT NULL,
	"inspection_expiry" date NOT NULL,
	"status" text DEFAULT 'SUBMITTED' NOT NULL,
	"rejection_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"verified_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vehicles_status_check" CHECK ("vehicles"."status" in ('SUBMITTED', 'VERIFIED', 'REJECTED', 'SUSPENDED')),
	CONSTRAINT "vehicles_class_check" CHECK ("vehicles"."class" in ('BIKE', 'CAR', 'VAN', 'ECONOMY', 'COMFORT', 'XL')),
	CONSTRAINT "vehicles_capacity_check" CHECK ("vehicles"."capacity" >= 0)
);
--> statement-breakpoint
CREATE TABLE "vendors" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"contact_email" text NOT NULL,
	"contact_phone" text,
	"status" text DEFAULT 'ACTIVE' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vendors_status_check" CHECK ("vendors"."status" in ('ACTIVE', 'SUSPENDED'))
);
--> statement-breakpoint
ALTER TABLE "drivers" ADD CONSTRAINT "drivers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drivers" ADD CONSTRAINT "drivers_vendor_id_vendors_id_fk" FOREIGN KEY ("vendor_id") REFERENCES "public"."vendors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drivers" ADD CONSTRAINT "drivers_active_vehicle_id_vehicles_id_fk" FOREIGN KEY ("active_vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vehicles" ADD CONSTRAINT "vehicles_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drivers_user_idx" ON "drivers" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "drivers_licence_number_idx" ON "drivers" USING btree ("licence_number");--> statement-breakpoint
CREATE INDEX "drivers_status_idx" ON "drivers" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "drivers_vendor_idx" ON "drivers" USING btree ("vendor_id");--> statement-breakpoint
CREATE INDEX "drivers_active_vehicle_idx" ON "drivers" USING btree ("active_vehicle_id");--> statement-breakpoint
CREATE INDEX "drivers_online_licence_idx" ON "drivers" USING btree ("licence_expiry") WHERE "drivers"."online";--> statement-breakpoint
CREATE UNIQUE INDEX "vehicles_plate_idx" ON "vehicles" USING btree ("plate") WHERE "vehicles"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "vehicles_driver_idx" ON "vehicles" USING btree ("driver_id","created_at");--> statement-breakpoint
CREATE INDEX "vehicles_status_idx" ON "vehicles" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "vehicles_verified_expiry_idx" ON "vehicles" USING btree (least("insurance_expiry", "inspection_expiry")) WHERE "vehicles"."status" = 'VERIFIED' and "vehicles"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "vendors_name_idx" ON "vendors" USING btree ("name","id");