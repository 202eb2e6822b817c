"""The sandbox's Discord server: a guild with the program's channel, roles and members."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from emulator.world import MANAGE_GUILD, Channel, Role, User, World

MANAGE_MESSAGES = 1 << 13


@dataclass(frozen=True)
class Cast:
    """Who and what is in the sandbox server."""

    world: World
    announce: Channel
    modlog: Channel
    moderator_role: Role
    learner: User
    learner2: User
    moderator: User
    admin: User

    @property
    def people(self) -> dict[str, User]:
        """The members a person can act as, by name."""
        return {u.username: u for u in (self.learner, self.learner2, self.moderator, self.admin)}

    def settings_for(self, base: Settings) -> Settings:
        """`base` with the guild, channels and moderator role of this server."""
        return base.model_copy(
            update={
                "guild_id": self.world.guild_id,
                "announce_channel_id": self.announce.id,
                "modlog_channel_id": self.modlog.id,
                "moderator_role_ids": (self.moderator_role.id,),
            }
        )


def build_cast(*, stable: bool = False) -> Cast:
    """A fresh world: #prodevprojectnexus, #mod-log, a Moderator role, four members. With
    `stable` (the sandbox, whose database outlives a run) their ids are the same in every run;
    tests get new ones, so no state (cooldowns) carries over between them."""
    world = World.create("ProDev Backend Engineering", stable=stable)
    moderator_role = world.add_role("Moderator", MANAGE_MESSAGES)
    staff_role = world.add_role("Staff", MANAGE_GUILD)
    announce = world.add_channel("prodevprojectnexus")
    modlog = world.add_channel("mod-log")
    cast = Cast(
        world=world,
        announce=announce,
        modlog=modlog,
        moderator_role=moderator_role,
        learner=world.add_member("ada"),
        learner2=world.add_member("linus"),
        moderator=world.add_member("grace", (moderator_role,)),
        admin=world.add_member("olivia", (staff_role,), owner=True),
    )
    world.ids_from_now()  # messages and threads: ids of their time
    return cast
