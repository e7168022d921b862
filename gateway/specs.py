"""The gateway's view of a device model, taken from its TOML profile (device_profiles/profiles/*.toml)."""

from __future__ import annotations

from device_profiles.battery import BATTERY_LEVEL
from device_profiles.date_time import CURRENT_TIME
from device_profiles.device_information import DEVICE_INFORMATION
from device_profiles.profiles import DeviceProfile, load_profile
from gateway.session import DeviceSpec


def spec_from_profile(profile: DeviceProfile) -> DeviceSpec:
    """Subscriptions, clock handling, bonding and record access as the profile declares them.

    A clock the profile does not let the gateway set is still read (Current Time, when the device has it)
    whenever readings carry the device's own time stamp, so that those stamps can be corrected.
    """
    measurements = tuple((c.uuid, c.mode == "indicate") for c in profile.characteristics
                         if c.mode in ("notify", "indicate"))
    if profile.clock.current_time_writable:
        current_time = "writable"
    elif profile.clock.readings_carry_time_stamp:
        current_time = "readable"
    else:
        current_time = "none"
    return DeviceSpec(
        profile_id=profile.id,
        measurements=measurements,
        current_time=current_time,
        bonding=profile.bonding_required,
        time_characteristic=profile.clock.time_characteristic or CURRENT_TIME,
        racp=profile.records.racp_uuid if profile.records.mode == "racp" else None,
        battery=profile.characteristic(BATTERY_LEVEL) is not None,
        layouts=tuple((c.uuid, c.layout) for c in profile.characteristics if c.layout is not None),
        optional=tuple(c.uuid for c in profile.characteristics
                       if not c.required and c.mode in ("notify", "indicate")),
        device_information=tuple(c.uuid for c in profile.characteristics if c.uuid in DEVICE_INFORMATION),
    )


def spec_for(profile_id: str) -> DeviceSpec:
    """The spec of a shipped profile by id."""
    return spec_from_profile(load_profile(profile_id))
