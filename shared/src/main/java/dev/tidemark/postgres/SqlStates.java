package dev.tidemark.postgres;

import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.TransferFailedException;
import dev.tidemark.error.ValidationException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;

/**
 * What a PostgreSQL error means, decided by its SQLSTATE (PostgreSQL manual, Appendix A "Error Codes"), never by its text,
 * and how it may be shown: the code and the server's primary message, without the {@code DETAIL} (which can hold row
 * contents, e.g. a unique violation's key), the query, or the server's address.
 */
public final class SqlStates {

    private SqlStates() {
    }

    /**
     * Transient states: class 08 (connection exception), 40001 (serialization failure), 40P01 (deadlock detected),
     * 55P03 (lock not available), 57014 (query canceled, e.g. by a statement timeout), 57P01 to 57P03 (the server shutting
     * down or not yet accepting connections) and class 53 (insufficient resources).
     *
     * @param state a SQLSTATE, or {@code null}
     * @return whether retrying the same call may succeed
     */
    public static boolean transientState(String state) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08") || state.startsWith("53") || state.equals("40001") || state.equals("40P01") || state.equals("55P03")
            || state.equals("57014") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03");
    }

    /**
     * @param e a JDBC error
     * @return {@code <primary message> (SQL state <code>)}: the server's primary message only, never its detail, hint,
     *         position or the statement; a driver-side error (no server message) is named by its state alone
     */
    public static String describe(SQLException e) {
        String state = e.getSQLState();
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        String primary = server != null && server.getMessage() != null ? server.getMessage()
            : state != null && state.startsWith("08") ? "connection to the server failed" : "driver error";
        if (primary.length() > 300) {
            primary = primary.substring(0, 300) + "...";
        }
        return primary + (state == null ? "" : " (SQL state " + state + ")");
    }

    /**
     * The typed error for a failure while reading or writing data on behalf of an event: retryable
     * {@link ConnectionException} for a transient state, {@link ValidationException} naming {@code field} for what the
     * request itself asked wrongly (class 42 syntax error or access rule violation, such as a missing right; 0A feature not
     * supported; 25 invalid transaction state, such as a write in the read-only export), and a non-retryable
     * {@link TransferFailedException} otherwise (e.g. class 22 data exception or 23 integrity constraint violation from the
     * data).
     *
     * @param e the error
     * @param what what was being done, e.g. {@code postgres export of table public.users}
     * @param field the event field the request's part came from
     * @return the error to throw
     */
    public static TidemarkException failure(SQLException e, String what, String field) {
        String state = e.getSQLState();
        if (transientState(state)) {
            return new ConnectionException(what + ": " + describe(e), e);
        }
        if (state != null && (state.startsWith("42") || state.startsWith("0A") || state.startsWith("25"))) {
            return new ValidationException(field + ": " + describe(e));
        }
        return new TransferFailedException(what + " failed: " + describe(e), null, false, e);
    }
}
