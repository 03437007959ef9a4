"""Audio model for cold-start songs: mel-spectrograms -> a CNN -> a song vector in the tag space.

A song with no playlists has no tag profile, so the tag space cannot place it. Kakao Arena
released mel-spectrograms for its songs; a network trained to map a song's mel-spectrogram to the
vector the tag space learned for it places new songs from their audio alone.

    mel.py          audio file -> mel-spectrogram matching Arena's released mels
    arena.py        reading Arena's `arena_mel` .npy files
    model.py        the seed's CNN (baseline) and the pooled CNN that replaces it
    losses.py       cosine and contrastive losses, held-out metrics
    train.py        training loop: checkpoints, resume, fixed seed, progress bars
    checkpoint.py   checkpoint files and the embedder used at inference
    synthetic.py    a small learnable task for tests and benchmarks
    add_audio.py    `mri catalog add-audio`: audio files + metadata -> a new catalog folder
"""
