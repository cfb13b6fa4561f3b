// A media file as milepost-pack's probe reads it: probe_media (media/Probe.cpp), with
// its checks before FFmpeg opens anything (picture header and size, the containers
// the player opens), its capped stream probe and the decode of the first picture.
// The first byte of the input says what the item claims to be (odd: an image item,
// even: a video); the rest is the file, written to a scratch folder. So every
// committed corpus file starts with that byte. A hang is caught by libFuzzer's
// -timeout, memory by -rss_limit_mb and -malloc_limit_mb (scripts/fuzz sets them).
#include "media/Probe.hpp"
#include "FuzzSupport.hpp"
#include "core/MediaLimits.hpp"
#include "media/Ffmpeg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const fuzz::ScratchDir dir;
    if (size == 0)
        return 0;
    av_log_set_level(AV_LOG_QUIET);
    const bool image = data[0] & 1;
    const auto file = dir.write("media", fuzz::as_text(data + 1, size - 1));
    const auto facts = probe_media(file, image);
    if (!facts) {
        if (facts.error().message.empty())
            __builtin_trap(); // a refusal must say why
        return 0;
    }
    // What probe_media promises: a picture it decoded, within the size it accepts.
    const auto problem = image ? picture_size_problem(facts->width, facts->height)
                               : video_size_problem(facts->width, facts->height);
    if (facts->width <= 0 || facts->height <= 0 || problem || facts->codec.empty())
        __builtin_trap();
    if (!image && !(facts->duration > 0))
        __builtin_trap();
    return 0;
}
