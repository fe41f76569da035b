CREATE TABLE "customer_orders" (
	"tenant" text NOT NULL,
	"order_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"progress" integer NOT NULL,
	"currency" text NOT NULL,
	"subtotal" integer,
	"delivery_fee" integer,
	"total" integer,
	"dropoff_lat" double precision NOT NULL,
	"dropoff_lng" double precision NOT NULL,
	"dropoff_address" text NOT NULL,
	"note" text,
	"pickup_lat" double precision,
	"pickup_lng" double precision,
	"pickup_address" text,
	"driver_name" text,
	"vehicle_plate" text,
	"vehicle_model" text,
	"vehicle_class" text,
	"proof_note" text,
	"rejection_reason" text,
	"cancel_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "customer_orders_tenant_order_id_pk" PRIMARY KEY("tenant","order_id"),
	CONSTRAINT "customer_orders_progress_check" CHECK ("customer_orders"."progress" >= 0)
);
--> statement-breakpoint
ALTER TABLE "customer_orders" ADD CONSTRAINT "customer_orders_tenant_tenants_code_fk" FOREIGN KEY ("tenant") REFERENCES "public"."tenants"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_orders" ADD CONSTRAINT "customer_orders_customer_id_users_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_orders_page_idx" ON "customer_orders" USING btree ("customer_id","created_at" DESC NULLS FIRST,"order_id" DESC NULLS FIRST);