#pragma once
// milepost-pack build's captions: a video's caption files (or, without any, the
// subtitle streams in it that have a language tag) read with the player's own
// media/Captions, checked, and published as WebVTT objects beside the media.
#include "core/Channel.hpp"
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace milepost::pack {

// A caption object to publish: its name (SHA-256 hex) and its WebVTT text.
struct CaptionObject {
    std::string object;
    std::string webvtt;
};

// The languages a channel uses: its items' and hotlines' `lang`.
std::set<std::string> channel_languages(const Channel& channel);

// Reads and checks the captions of `item`, a video already probed (its
// media.duration known): each caption file, or the tagged streams in the video
// when it has none. Fills each CaptionFile's object and size and adds the WebVTT
// to `objects`. A caption in a language outside `languages` (when not empty) is
// refused. Each refusal is logged naming the item, the file, the line and what
// is wrong; returns how many there were.
int check_captions(Item& item, const std::set<std::string>& languages,
                   std::vector<CaptionObject>& objects);

// Writes each object `dir` does not hold yet (a temporary name, fsync, rename);
// the files written are added to `created` and their bytes to `new_bytes`.
Result<void> write_caption_objects(const std::vector<CaptionObject>& objects,
                                   const std::filesystem::path& dir,
                                   std::vector<std::filesystem::path>& created,
                                   std::uint64_t& new_bytes);

} // namespace milepost::pack
