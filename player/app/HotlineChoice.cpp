#include "HotlineChoice.hpp"

#include "core/Hotline.hpp"
#include "core/Log.hpp"

namespace milepost {

namespace {
// The hotline of last resort, should both the channel and the built-in channel
// lack one: a screen never goes without.
const Hotline kLastResortHotline{
    "*",      "",     "National Human Trafficking Hotline",  "1-888-373-7888",
    "233733", "HELP", "https://humantraffickinghotline.org", "911"};
} // namespace

HotlineChoice::HotlineChoice(const Channel& channel, const Channel& builtin, std::string region)
    : m_channel(channel), m_builtin(builtin), m_region(std::move(region)) {}

const Hotline& HotlineChoice::hotline_for(std::string_view lang) const {
    if (const Hotline* h = find_hotline(m_channel.hotlines, m_region, lang))
        return *h;
    if (const Hotline* h = find_hotline(m_builtin.hotlines, m_region, lang))
        return *h;
    return kLastResortHotline;
}

const QrCode* HotlineChoice::qr_for(const Hotline& hotline) {
    if (hotline.url != m_qr_text) {
        m_qr_text = hotline.url;
        m_qr.reset();
        if (!hotline.url.empty()) {
            auto qr = make_qr_code(hotline.url);
            if (qr)
                m_qr = std::move(*qr);
            else
                log::warn(qr.error().message);
        }
    }
    return m_qr ? &*m_qr : nullptr;
}

} // namespace milepost
