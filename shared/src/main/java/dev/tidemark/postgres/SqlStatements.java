package dev.tidemark.postgres;

import dev.tidemark.error.ValidationException;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.internal.parser.ParsingContext;
import org.flywaydb.core.internal.resource.StringResource;
import org.flywaydb.core.internal.sqlscript.SqlStatement;
import org.flywaydb.core.internal.sqlscript.SqlStatementIterator;
import org.flywaydb.database.postgresql.PostgreSQLParser;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a PostgreSQL script into statements with Flyway's own PostgreSQL parser (the one that runs migrations), so
 * that a dry run, an undo and the lint see exactly the statements Flyway would send: dollar quoting, {@code COPY},
 * comments and {@code CONCURRENTLY} are handled as Flyway handles them. Placeholders must already be replaced.
 */
public final class SqlStatements {

    private static final FluentConfiguration CONFIG = new FluentConfiguration().placeholderReplacement(false);

    /**
     * A statement of a script.
     *
     * @param line the 1-based line where it starts in the file
     * @param sql its text, without the delimiter
     * @param transactional whether it can run inside a transaction ({@code false} for {@code ... CONCURRENTLY},
     *                      {@code VACUUM}, ...)
     */
    public record Statement(int line, String sql, boolean transactional) {
    }

    private SqlStatements() {
    }

    /**
     * @param script the file name, for errors
     * @param content the script text, placeholders replaced
     * @return its statements in order
     * @throws ValidationException naming the file when Flyway's parser refuses it (e.g. an unterminated string)
     */
    public static List<Statement> split(String script, String content) {
        List<Statement> out = new ArrayList<>();
        try (SqlStatementIterator it = new PostgreSQLParser(CONFIG, new ParsingContext()).parse(new StringResource(content))) {
            while (it.hasNext()) {
                SqlStatement s = it.next();
                out.add(new Statement(s.getLineNumber(), s.getSql().strip(), s.canExecuteInTransaction()));
            }
        } catch (FlywayException e) {
            throw new ValidationException("migration " + script + ": cannot be parsed: " + firstLine(e.getMessage()), e);
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.strip().indexOf('\n');
        return nl < 0 ? s.strip() : s.strip().substring(0, nl);
    }
}
