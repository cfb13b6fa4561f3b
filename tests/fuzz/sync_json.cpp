// DATA_DIR/sync.json (milepost-sync's news: the network, the last sync), read by the
// player for the boot card and the diagnostics overlay. A file half written, or
// written by another version, must never stop the player: the card says what it can.
#include "FuzzSupport.hpp"
#include "app/StatusCard.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const DeviceConfig config = [] {
        DeviceConfig c;
        c.device.id = "fuzz";
        c.content.server = "https://example.invalid/";
        return c;
    }();
    StatusInputs in;
    in.config = &config;
    in.sync_json = std::string(fuzz::as_text(data, size));
    in.throttled = "0x50005";
    for (bool diagnostics : {false, true})
        if (status_card(in, diagnostics).rows.empty())
            __builtin_trap();
    return 0;
}
