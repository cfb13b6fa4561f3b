#pragma once
// Caption files and caption streams read with FFmpeg: libavformat's webvtt and srt
// demuxers (and the video's own demuxer for embedded streams) give the cues'
// times, libavcodec's text subtitle decoders their text. No hand-written parser.
#include "core/Captions.hpp"
#include "core/Result.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace milepost {

// The cues of a WebVTT (.vtt, or no extension: a published object) or SubRip
// (.srt) file, in the file's order (which caption_problem requires to be the
// order of start), markup (<i>, {\an8}, ...) removed, each with the line of its
// timing in the file. Refused (naming the file and, where known, the line): not
// UTF-8, over kMaxCaptionBytes, a timing line FFmpeg could not read (or a STYLE
// or REGION block, which FFmpeg 5.1 stops at), or no cue at all.
Result<std::vector<Cue>> read_caption_file(const std::filesystem::path& file);

// A text subtitle stream inside a video (mov_text in MP4, subrip/webvtt/ass in
// Matroska) that has a language tag ("und" left out; the first stream of a
// language only), its cues in order of start, the gaps between them left out.
struct EmbeddedCaptions {
    std::string lang; // as a channel names it: "en" for "eng", "fr" for "fra"/"fre"
    std::vector<Cue> cues;
};
Result<std::vector<EmbeddedCaptions>> read_embedded_captions(const std::filesystem::path& video);

// ISO 639-2 ("eng", "spa", "fra", "fre") to the two-letter code the channels use
// when there is one; other codes as they are, lower case.
std::string short_language(std::string_view code);

} // namespace milepost
