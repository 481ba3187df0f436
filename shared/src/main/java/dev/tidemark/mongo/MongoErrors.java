package dev.tidemark.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteConcernException;
import com.mongodb.MongoWriteException;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.TransferFailedException;

import java.util.Set;

/**
 * What a MongoDB error means, decided by the server's error labels and codes (MongoDB manual, "Error Codes" and the
 * drivers' "Retryable Writes" specification), never by its text; and how it may be shown: the code and code name only,
 * never the server's message, which can quote documents, or the server's address.
 */
public final class MongoErrors {

    /**
     * Codes the retryable-writes specification lists as retryable: HostUnreachable (6), HostNotFound (7), NetworkTimeout
     * (89), ShutdownInProgress (91), PrimarySteppedDown (189), ExceededTimeLimit (262), SocketException (9001),
     * NotWritablePrimary (10107), InterruptedAtShutdown (11600), InterruptedDueToReplStateChange (11602),
     * NotPrimaryNoSecondaryOk (13435), NotPrimaryOrSecondary (13436).
     */
    private static final Set<Integer> RETRYABLE_CODES = Set.of(6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436);

    private MongoErrors() {
    }

    /**
     * @param e a driver error
     * @return whether retrying may succeed: a {@code RetryableWriteError} or {@code TransientTransactionError} label, a
     *         network or selection timeout, a primary that stepped down, or a retryable code
     */
    public static boolean transientError(MongoException e) {
        return e.hasErrorLabel("RetryableWriteError") || e.hasErrorLabel("TransientTransactionError")
            || e instanceof MongoSocketException || e instanceof MongoTimeoutException || e instanceof MongoNotPrimaryException
            || e instanceof MongoNodeIsRecoveringException || RETRYABLE_CODES.contains(code(e));
    }

    private static int code(MongoException e) {
        if (e instanceof MongoWriteException w) {
            return w.getError().getCode();
        }
        if (e instanceof MongoWriteConcernException w) {
            return w.getWriteConcernError().getCode();
        }
        return e.getCode();
    }

    /**
     * @param e a driver error
     * @return {@code MongoDB error <code> (<name>)}, {@code connection failed} or {@code timed out}: nothing the server
     *         wrote about the data
     */
    public static String describe(MongoException e) {
        if (e instanceof MongoSocketException) {
            return "connection to the server failed";
        }
        if (e instanceof MongoTimeoutException) {
            return "no server answered in time";
        }
        String name = e instanceof MongoCommandException c ? c.getErrorCodeName() : null;
        return "MongoDB error " + code(e) + (name == null || name.isEmpty() ? "" : " (" + name + ")");
    }

    /**
     * @param e a driver error
     * @param what what was being done, e.g. {@code mongodb export of tracks}
     * @return a retryable {@link ConnectionException} for a transient error, a non-retryable
     *         {@link TransferFailedException} otherwise
     */
    public static TidemarkException failure(MongoException e, String what) {
        return transientError(e) ? new ConnectionException(what + ": " + describe(e), e)
            : new TransferFailedException(what + " failed: " + describe(e), null, false, e);
    }
}
