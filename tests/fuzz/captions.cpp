// A caption file as milepost-pack and the player read it: read_caption_file
// (media/Captions.cpp: FFmpeg's webvtt and srt demuxers and decoders, then our
// markup stripping and line numbering), then the publishing rules and the WebVTT
// a caption object holds. The first byte of the input picks the reader (odd:
// SubRip, .srt; even: WebVTT, .vtt); the rest is the file. So every committed
// corpus file starts with that byte.
#include "media/Captions.hpp"
#include "FuzzSupport.hpp"
#include "media/Ffmpeg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const fuzz::ScratchDir dir;
    if (size == 0)
        return 0;
    av_log_set_level(AV_LOG_QUIET);
    const auto file =
        dir.write((data[0] & 1) ? "cues.srt" : "cues.vtt", fuzz::as_text(data + 1, size - 1));
    const auto cues = read_caption_file(file);
    if (!cues) {
        if (cues.error().message.empty())
            __builtin_trap(); // a refusal must say why
        return 0;
    }
    // What was read is text a screen can draw: UTF-8.
    for (const Cue& c : *cues) {
        int line = 0;
        if (!valid_utf8(c.text, line))
            __builtin_trap();
    }
    // Cues a build would publish read back the same from their WebVTT object.
    if (!caption_problem(*cues, 86400, file.string()).empty())
        return 0;
    const auto object = dir.write("object", to_webvtt(*cues));
    const auto again = read_caption_file(object);
    if (!again || again->size() != cues->size())
        __builtin_trap();
    for (std::size_t i = 0; i < cues->size(); ++i)
        if ((*again)[i].text != (*cues)[i].text)
            __builtin_trap();
    return 0;
}
