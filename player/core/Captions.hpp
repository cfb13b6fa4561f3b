#pragma once
// Captions: the cues of a video in one language, which one shows at a time, and
// the rules a caption file is held to (contract "Channel source": `captions`).
// Pure: the files are read with FFmpeg in media/Captions.hpp.
#include "Channel.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

struct Cue {
    double start = 0; // seconds into the video
    double end = 0;
    std::string text; // UTF-8, lines separated by '\n', no markup
    int line = 0;     // the line of its timing in the file it was read from (1-based), 0 unknown
};

// The cue showing at `t` seconds into the video: the latest started that has not
// ended. `cues` in order of start. nullopt: none.
std::optional<std::size_t> cue_at(const std::vector<Cue>& cues, double t);

// The language captions are shown in: `turn` (the device's language turn), else
// `item_lang`, else English, else none (""), among the languages `has` says there are.
std::string caption_language(std::string_view turn, std::string_view item_lang,
                             const std::function<bool(std::string_view)>& has);
// The same among the caption files `item` has.
std::string caption_language(const Item& item, std::string_view turn);

// A caption's line width in characters, and how many lines a cue may take.
inline constexpr std::size_t kCaptionLineChars = 42;
inline constexpr std::size_t kCaptionMaxLines = 3;
// The most bytes a caption file may have (a feature film's captions are ~100 KB).
inline constexpr std::size_t kMaxCaptionBytes = 1 << 20;
// The most caption languages a video may have.
inline constexpr std::size_t kMaxCaptionLanguages = 32;

// `text` word-wrapped at `width` characters (UTF-8 code points); its own line
// breaks are kept.
std::vector<std::string> wrap_characters(std::string_view text, std::size_t width);

// Why `cues` of `file` cannot be published with a video `duration` seconds long,
// or "" when they can: times inside the video and in order, no cue over 3 lines of
// 42 characters once wrapped. The message names the file and line.
std::string caption_problem(const std::vector<Cue>& cues, double duration, const std::string& file);

// WebVTT text of `cues`: what a caption object holds once published ("&", "<"
// and ">" in the text written as entities).
std::string to_webvtt(const std::vector<Cue>& cues);

// Whether `text` is valid UTF-8; when not, `line` is the 1-based line of the first fault.
bool valid_utf8(std::string_view text, int& line);

} // namespace milepost
