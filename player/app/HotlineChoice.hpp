#pragma once
// Which hotline the screen shows in a language: the channel's for the device's
// region, else the built-in channel's, else the national hotline of last resort.
// A screen never goes without one. Its QR code is made once per URL.
#include "core/Channel.hpp"
#include "render/QrCode.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace milepost {

class HotlineChoice {
public:
    // `channel` is the one playing: it may change in place (a new version).
    HotlineChoice(const Channel& channel, const Channel& builtin, std::string region);
    const Hotline& hotline_for(std::string_view lang) const;
    // The hotline's URL as a QR code, nullptr when it has none (or it cannot be made).
    const QrCode* qr_for(const Hotline& hotline);

private:
    const Channel& m_channel;
    const Channel& m_builtin;
    std::string m_region;
    std::string m_qr_text; // what m_qr encodes
    std::optional<QrCode> m_qr;
};

} // namespace milepost
