-- AlterTable
ALTER TABLE "app_user" ADD COLUMN     "last_sign_in_at" TIMESTAMPTZ(6),
ADD COLUMN     "password_changed_at" TIMESTAMPTZ(6),
ADD COLUMN     "password_hash" TEXT;

-- CreateTable
CREATE TABLE "user_session" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL,
    "client_address" TEXT,

    CONSTRAINT "user_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sign_in_failure" (
    "id" BIGSERIAL NOT NULL,
    "account_key" TEXT NOT NULL,
    "client_address" TEXT NOT NULL,
    "attempted_at" TIMESTAMPTZ(6) NOT NULL,
    "account_cleared" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "sign_in_failure_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_session_token_hash_key" ON "user_session"("token_hash");

-- CreateIndex
CREATE INDEX "user_session_user_id_idx" ON "user_session"("user_id");

-- CreateIndex
CREATE INDEX "sign_in_failure_account_key_attempted_at_idx" ON "sign_in_failure"("account_key", "attempted_at");

-- CreateIndex
CREATE INDEX "sign_in_failure_client_address_attempted_at_idx" ON "sign_in_failure"("client_address", "attempted_at");

-- AddForeignKey
ALTER TABLE "user_session" ADD CONSTRAINT "user_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: a stored password is always a versioned scrypt hash, never anything that could be a clear password.
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_password_hash_format"
  CHECK ("password_hash" IS NULL OR "password_hash" ~ '^\$scrypt\$v=[0-9]+\$ln=[0-9]+,r=[0-9]+,p=[0-9]+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$');
ALTER TABLE "user_session" ADD CONSTRAINT "user_session_expiry_after_creation" CHECK ("expires_at" > "created_at");
