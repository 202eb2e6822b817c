"""A faithful local emulator of the parts of Discord the bot uses: REST API v10, Gateway v10,
Discord's rules (validation, the 3-second deadline, broadcast to every session, nonces) and
fault injection. It imports nothing from the bot; the bot's sandbox and tests drive it.

The API for tests and the sandbox, acting as members of its world:
- `DiscordEmulator(world)`: `start()`, `stop()`, `point_discord_py_here()`;
  `slash`, `run`, `autocomplete`, `click`, `submit_modal`, `wait_for_message`; `faults`.
- `World`: the guild, its members, roles, channels and messages (`world.py`).
- `render_message`, `render_modal`: Discord's messages and forms as terminal text.
"""

from emulator.server import DiscordEmulator, DiscordError, find_component
from emulator.world import World

__all__ = ["DiscordEmulator", "DiscordError", "World", "find_component"]
