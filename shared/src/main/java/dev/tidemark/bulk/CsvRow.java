package dev.tidemark.bulk;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** The few CSV reads bulk transfers need (RFC 4180 as PostgreSQL's COPY CSV writes it). */
final class CsvRow {

    private CsvRow() {
    }

    /**
     * @param row one CSV record, with or without its line end
     * @return its fields, unquoted; an unquoted empty field (NULL) as {@code null}
     */
    static List<String> fields(String row) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = row.endsWith("\r\n") ? row.length() - 2 : row.endsWith("\n") ? row.length() - 1 : row.length();
        while (true) {
            if (i < n && row.charAt(i) == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (i < n) {
                    char ch = row.charAt(i);
                    if (ch == '"') {
                        if (i + 1 < n && row.charAt(i + 1) == '"') {
                            b.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    b.append(ch);
                    i++;
                }
                out.add(b.toString());
            } else {
                int end = row.indexOf(',', i);
                if (end < 0 || end > n) {
                    end = n;
                }
                String v = row.substring(i, end);
                out.add(v.isEmpty() ? null : v);
                i = end;
            }
            if (i >= n) {
                return out;
            }
            i++; // the comma
        }
    }

    /**
     * @param in a stream
     * @return the bytes up to and including the next {@code \n} (a header line has no quoted line ends)
     * @throws IOException from the stream
     */
    static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                break;
            }
        }
        return line.toByteArray();
    }
}
