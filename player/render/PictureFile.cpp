#include "PictureFile.hpp"

#include "core/MediaLimits.hpp"

#include <SDL_image.h>

namespace milepost {

Result<SurfacePtr> load_picture(const std::filesystem::path& file, const std::string& codec) {
    auto header = checked_picture_header(file);
    if (!header)
        return Error{file.string() + ": " + header.error().message};
    const bool png = header->type == PictureType::Png;
    if (!codec.empty() && codec != (png ? "png" : "mjpeg"))
        return Error{file.string() + ": the manifest says " + codec + ", the file is a " +
                     std::string(to_string(header->type))};
    SDL_RWops* rw = SDL_RWFromFile(file.c_str(), "rb");
    if (!rw)
        return Error{file.string() + ": cannot be read: " + SDL_GetError()};
    SurfacePtr surface(png ? IMG_LoadPNG_RW(rw) : IMG_LoadJPG_RW(rw));
    SDL_RWclose(rw);
    if (!surface)
        return Error{file.string() + ": cannot load the image: " + IMG_GetError()};
    return surface;
}

} // namespace milepost
