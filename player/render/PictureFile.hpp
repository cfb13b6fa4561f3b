#pragma once
// An image item's file decoded into memory, checked first: a PNG or a JPEG no
// larger than kMaxPictureSide on a side, by the size its header declares, read
// with that type's decoder only (never by SDL_image's guess, which would try a
// dozen other formats on hostile bytes).
#include "core/Result.hpp"
#include "render/SdlHandles.hpp"

#include <filesystem>
#include <string>

namespace milepost {

// Safe to call on any thread (no renderer is touched). `codec`: the type the
// manifest gives ("png", "mjpeg"), or "" for a channel source's file; a file of
// another type than its manifest says is refused.
Result<SurfacePtr> load_picture(const std::filesystem::path& file, const std::string& codec);

} // namespace milepost
