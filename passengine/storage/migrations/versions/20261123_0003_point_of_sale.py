"""point of sale

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:16:27.976522
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "budget_usage",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("nis_code", sa.String(length=5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("consumed_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nis_code"],
            ["municipalities.nis_code"],
            name=op.f("fk_budget_usage_nis_code_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_budget_usage_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("region_id", "nis_code", "year", name=op.f("pk_budget_usage")),
    )
    op.create_table(
        "rewards",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("owning_region_id", sa.Integer(), nullable=False),
        sa.Column("all_regions", sa.Boolean(), nullable=False),
        sa.Column("promotional_description", sa.Text(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("publication_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publication_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeem_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeem_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_available_units", sa.Integer(), nullable=True),
        sa.Column("redeemed_units", sa.Integer(), nullable=False),
        sa.Column("holder_limit_volume", sa.Integer(), nullable=True),
        sa.Column(
            "holder_limit_period",
            sa.Enum(
                "ABSOLUTE",
                "DAY",
                "WEEK",
                "MONTH",
                "QUARTER",
                "YEAR",
                name="holder_limit_period",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.CheckConstraint("type IN ('POINTS', 'WELCOME')", name=op.f("ck_rewards_reward_type")),
        sa.CheckConstraint(
            "max_available_units IS NULL OR redeemed_units <= max_available_units",
            name=op.f("ck_rewards_stock_not_exceeded"),
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_rewards_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["owning_region_id"], ["regions.id"], name=op.f("fk_rewards_owning_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_table(
        "reward_organizers",
        sa.Column("reward_id", sa.String(length=64), nullable=False),
        sa.Column("organizer_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_reward_organizers_organizer_id_organizers"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_organizers_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("reward_id", "organizer_id", name=op.f("pk_reward_organizers")),
    )
    op.create_table(
        "reward_regions",
        sa.Column("reward_id", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_reward_regions_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_regions_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("reward_id", "region_id", name=op.f("pk_reward_regions")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("organizer_id", sa.String(length=64), nullable=False),
        sa.Column("holder_id", sa.String(length=36), nullable=False),
        sa.Column("uitpas_number", sa.String(length=13), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_client_id", sa.String(length=100), nullable=True),
        sa.CheckConstraint("points >= 0", name=op.f("ck_checkins_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_checkins_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["pass_holders.id"], name=op.f("fk_checkins_holder_id_pass_holders")
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"], ["organizers.id"], name=op.f("fk_checkins_organizer_id_organizers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_holder_id_event_id", ["holder_id", "event_id"], unique=False
        )
        batch_op.create_index(
            "ix_checkins_organizer_id_created_at", ["organizer_id", "created_at"], unique=False
        )

    op.create_table(
        "ticket_sales",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("organizer_id", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.String(length=36), nullable=True),
        sa.Column("group_pass_id", sa.String(length=64), nullable=True),
        sa.Column("uitpas_number", sa.String(length=13), nullable=False),
        sa.Column("tariff_id", sa.String(length=100), nullable=False),
        sa.Column("tariff_type", sa.String(length=20), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("regular_price_cents", sa.Integer(), nullable=False),
        sa.Column("regular_price_label", sa.String(length=200), nullable=True),
        sa.Column("holder_cents", sa.Integer(), nullable=False),
        sa.Column("organizer_cents", sa.Integer(), nullable=False),
        sa.Column("municipality_cents", sa.Integer(), nullable=False),
        sa.Column("region_cents", sa.Integer(), nullable=False),
        sa.Column("municipality_nis_code", sa.String(length=5), nullable=False),
        sa.Column("holder_is_local", sa.Boolean(), nullable=False),
        sa.Column("reimbursement_kind", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_client_id", sa.String(length=100), nullable=True),
        sa.Column("cancelled_by_desk_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(holder_id IS NULL) <> (group_pass_id IS NULL)",
            name=op.f("ck_ticket_sales_holder_or_group_pass"),
        ),
        sa.CheckConstraint(
            "holder_cents + organizer_cents + municipality_cents + region_cents"
            " = regular_price_cents",
            name=op.f("ck_ticket_sales_shares_add_up"),
        ),
        sa.CheckConstraint(
            "holder_cents >= 0 AND organizer_cents >= 0 AND municipality_cents >= 0"
            " AND region_cents >= 0",
            name=op.f("ck_ticket_sales_shares_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_ticket_sales_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["group_pass_id"],
            ["group_passes.id"],
            name=op.f("fk_ticket_sales_group_pass_id_group_passes"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["pass_holders.id"], name=op.f("fk_ticket_sales_holder_id_pass_holders")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_nis_code"],
            ["municipalities.nis_code"],
            name=op.f("fk_ticket_sales_municipality_nis_code_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_ticket_sales_organizer_id_organizers"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_ticket_sales_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_sales")),
    )
    with op.batch_alter_table("ticket_sales", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_sales_group_pass_id_created_at",
            ["group_pass_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ticket_sales_holder_id_created_at", ["holder_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_sales_holder_id_event_id", ["holder_id", "event_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_sales_organizer_id_created_at", ["organizer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_sales_region_id_nis_created_at",
            ["region_id", "municipality_nis_code", "created_at"],
            unique=False,
        )

    op.create_table(
        "reward_redemptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reward_id", sa.String(length=64), nullable=False),
        sa.Column("holder_id", sa.String(length=36), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("uitpas_number", sa.String(length=13), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("organizer_id", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_client_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["pass_holders.id"],
            name=op.f("fk_reward_redemptions_holder_id_pass_holders"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_reward_redemptions_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_reward_redemptions_organizer_id_organizers"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_redemptions_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_redemptions")),
    )
    with op.batch_alter_table("reward_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reward_redemptions_holder_id_reward_id", ["holder_id", "reward_id"], unique=False
        )

    op.create_table(
        "points_transactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("holder_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("checkin_id", sa.String(length=36), nullable=True),
        sa.Column("redemption_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_points_transactions_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["pass_holders.id"],
            name=op.f("fk_points_transactions_holder_id_pass_holders"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["reward_redemptions.id"],
            name=op.f("fk_points_transactions_redemption_id_reward_redemptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_transactions")),
    )
    with op.batch_alter_table("points_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_transactions_holder_id"), ["holder_id"], unique=False
        )

    # Points move from the membership to the holder: a holder keeps them across regions.
    with op.batch_alter_table("pass_holders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("points", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_check_constraint("points_not_negative", "points >= 0")
    op.execute(
        "UPDATE pass_holders SET points = COALESCE((SELECT SUM(m.points) FROM memberships m "
        "WHERE m.holder_id = pass_holders.id), 0)"
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint("points_not_negative", type_="check")
        batch_op.drop_column("points")


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("points", sa.INTEGER(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_check_constraint("points_not_negative", "points >= 0")
    # Back on the oldest membership of each holder.
    op.execute(
        "UPDATE memberships SET points = (SELECT h.points FROM pass_holders h "
        "WHERE h.id = memberships.holder_id) WHERE id IN (SELECT MIN(id) FROM memberships "
        "GROUP BY holder_id)"
    )
    with op.batch_alter_table("pass_holders", schema=None) as batch_op:
        batch_op.drop_constraint("points_not_negative", type_="check")
        batch_op.drop_column("points")

    with op.batch_alter_table("points_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_transactions_holder_id"))

    op.drop_table("points_transactions")
    with op.batch_alter_table("reward_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_reward_redemptions_holder_id_reward_id")

    op.drop_table("reward_redemptions")
    with op.batch_alter_table("ticket_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_sales_region_id_nis_created_at")
        batch_op.drop_index("ix_ticket_sales_organizer_id_created_at")
        batch_op.drop_index("ix_ticket_sales_holder_id_event_id")
        batch_op.drop_index("ix_ticket_sales_holder_id_created_at")
        batch_op.drop_index("ix_ticket_sales_group_pass_id_created_at")

    op.drop_table("ticket_sales")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_organizer_id_created_at")
        batch_op.drop_index("ix_checkins_holder_id_event_id")

    op.drop_table("checkins")
    op.drop_table("reward_regions")
    op.drop_table("reward_organizers")
    op.drop_table("rewards")
    op.drop_table("budget_usage")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    # ### end Alembic commands ###
