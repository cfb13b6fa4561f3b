#pragma once
// The speakers: one SDL audio device, fed from the render loop with the sound of
// the video on screen, and the clock that video follows while sound plays.
// Render thread only.
#include "core/Result.hpp"
#include "media/VideoSource.hpp"

#include <SDL.h>

#include <memory>
#include <optional>

namespace milepost {

class AudioOutput {
public:
    // SDL's audio subsystem must be initialised.
    static Result<std::unique_ptr<AudioOutput>> open();
    ~AudioOutput();
    AudioOutput(const AudioOutput&) = delete;
    AudioOutput& operator=(const AudioOutput&) = delete;

    // Queues sound from `chunks` until a quarter of a second is waiting.
    void feed(BoundedQueue<AudioChunk>& chunks);
    // The pts of the sound being heard now; nullopt before any was queued.
    std::optional<double> clock() const;
    // Drops what is queued: the item it belonged to has ended.
    void clear();
    std::string describe() const;

private:
    AudioOutput() = default;
    SDL_AudioDeviceID m_device = 0;
    SDL_AudioSpec m_spec{};
    double m_queued_end = -1; // pts at the end of what was queued; -1: nothing yet
};

} // namespace milepost
