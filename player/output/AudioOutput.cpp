#include "AudioOutput.hpp"

namespace milepost {

namespace {
constexpr double kAhead = 0.25; // seconds of sound kept queued
}

Result<std::unique_ptr<AudioOutput>> AudioOutput::open() {
    std::unique_ptr<AudioOutput> out(new AudioOutput());
    SDL_AudioSpec want{};
    want.freq = kAudioRate;
    want.format = AUDIO_S16SYS;
    want.channels = 2;
    want.samples = 1024;
    out->m_device = SDL_OpenAudioDevice(nullptr, 0, &want, &out->m_spec, 0);
    if (out->m_device == 0)
        return Error{std::string("cannot open the sound device: ") + SDL_GetError()};
    SDL_PauseAudioDevice(out->m_device, 0); // an empty queue plays silence
    return out;
}

AudioOutput::~AudioOutput() {
    if (m_device)
        SDL_CloseAudioDevice(m_device);
}

std::string AudioOutput::describe() const {
    return std::string(SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "?") + ", " +
           std::to_string(m_spec.freq) + " Hz, " + std::to_string(m_spec.channels) + " channels";
}

void AudioOutput::feed(BoundedQueue<AudioChunk>& chunks) {
    while (SDL_GetQueuedAudioSize(m_device) < kAhead * kAudioBytesPerSecond) {
        auto chunk = chunks.try_pop();
        if (!chunk)
            return;
        if (SDL_QueueAudio(m_device, chunk->pcm.data(), static_cast<Uint32>(chunk->pcm.size())) !=
            0)
            return;
        m_queued_end = chunk->pts + chunk->duration;
    }
}

std::optional<double> AudioOutput::clock() const {
    if (m_queued_end < 0)
        return std::nullopt;
    // What is queued is still to be heard, and so is the device's own buffer.
    const double queued =
        static_cast<double>(SDL_GetQueuedAudioSize(m_device)) / kAudioBytesPerSecond;
    const double device = static_cast<double>(m_spec.samples) / m_spec.freq;
    return m_queued_end - queued - device;
}

void AudioOutput::clear() {
    SDL_ClearQueuedAudio(m_device);
    m_queued_end = -1;
}

} // namespace milepost
