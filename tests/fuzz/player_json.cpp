// DATA_DIR/player.json (the player's news: what is on screen, frames dropped), read
// by milepost-sync for status.json. A file half written when the power went, or
// written by another version, must never stop the status upload.
#include "FuzzSupport.hpp"
#include "core/DeviceConfig.hpp"
#include "sync/LogUpload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const fuzz::ScratchDir dir;
    static const DeviceConfig config;
    dir.write("player.json", fuzz::as_text(data, size));
    const std::string status = status_json(dir.path(), config, SyncFacts{}, UploadReport{});
    if (status.empty())
        __builtin_trap();
    return 0;
}
