package dev.tidemark.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The local erasure key outlives a run when the stores keep their data, as the template's secret outlives a deployment. */
class LocalErasureKeyTest {

    @Test
    void theKeyIsKeptInTheDataDirectoryOwnerOnlyAndReadBackOnTheNextRun(@TempDir Path data) throws Exception {
        String first = LocalStack.erasureKey(data);
        assertThat(first).hasSizeGreaterThanOrEqualTo(43);
        assertThat(LocalStack.erasureKey(data)).as("the next run hashes requests and receipts with the same key").isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("erasure.key")))).isEqualTo("rw-------");
        assertThat(LocalStack.erasureKey(null)).as("throw-away data, throw-away key").isNotEqualTo(LocalStack.erasureKey(null));
    }
}
