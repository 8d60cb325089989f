// Preloaded by bench/profile.ts into the processes it profiles: SIGUSR2 ends the process normally, so Node writes
// its --cpu-prof profile (a signal's default action would end it without one).
process.on("SIGUSR2", () => process.exit(0));
