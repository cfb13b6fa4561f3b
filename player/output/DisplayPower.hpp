#pragma once
// Turning the TV itself off and on for the power schedule: HDMI-CEC through the
// kernel's CEC framework (/dev/cec0: the Raspberry Pi's vc4 HDMI driver has one),
// Standby and Image View On sent to the TV. Where there is no CEC, or the TV does
// not answer, the player blanks the screen instead (black, nothing decoded).
#include <memory>
#include <string>

namespace milepost {

enum class PowerAck {
    Acknowledged,    // the TV took the message
    NotAcknowledged, // sent, but nothing answered (CEC off in the TV's menu, or no TV)
    Unavailable,     // no CEC adapter here
};

class DisplayPower {
public:
    virtual ~DisplayPower() = default;
    virtual std::string name() const = 0;
    virtual PowerAck set(bool on) = 0;
};

// The kernel's CEC adapter at /dev/cec0, or none. MILEPOST_TEST_CEC=ack|silent
// gives a fake adapter instead (tests): its TV acknowledges, or never answers.
std::unique_ptr<DisplayPower> open_display_power();

std::string describe(PowerAck ack);

} // namespace milepost
