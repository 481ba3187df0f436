package dev.tidemark.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths inside this repository, found from the working directory of the test run. */
public final class Repo {

    private Repo() {
    }

    /** @return the repository root (the directory holding {@code examples/} and {@code statemachines/}) */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("examples")) && Files.isDirectory(dir.resolve("statemachines"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("repository root not found above " + Path.of("").toAbsolutePath());
    }
}
