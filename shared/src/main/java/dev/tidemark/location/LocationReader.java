package dev.tidemark.location;

import dev.tidemark.error.LocationException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Reads the files with one extension (or chosen by name) below a {@link Location}, recursively (as Flyway scans
 * locations).
 * S3 is read with AWS SDK v2 ({@code ListObjectsV2}, {@code GetObject}); the client is created only when an
 * {@code s3://} location is read.
 */
public final class LocationReader {

    private final Supplier<S3Client> s3;

    /** @param s3 supplies the S3 client for {@code s3://} locations */
    public LocationReader(Supplier<S3Client> s3) {
        this.s3 = s3;
    }

    /**
     * @param location where to read
     * @param extension file extension without the dot, e.g. {@code sql}
     * @return the files, sorted by name
     * @throws LocationException when the location does not exist or cannot be read
     */
    public List<ScriptFile> read(Location location, String extension) {
        String suffix = "." + extension;
        return read(location, name -> name.endsWith(suffix));
    }

    /**
     * @param location where to read
     * @param fileName which files, by their name (the last path segment); only those are read (from S3, fetched)
     * @return the files, sorted by name
     * @throws LocationException when the location does not exist or cannot be read
     */
    public List<ScriptFile> read(Location location, Predicate<String> fileName) {
        List<ScriptFile> files = switch (location.scheme()) {
            case "filesystem" -> readDirectory(Path.of(location.path()), fileName, location.toString());
            case "classpath" -> readClasspath(location.path(), fileName, location.toString());
            case "s3" -> readS3(location, fileName);
            default -> throw new LocationException("location: unsupported scheme " + location.scheme());
        };
        List<ScriptFile> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(ScriptFile::name));
        return sorted;
    }

    private static List<ScriptFile> readDirectory(Path dir, Predicate<String> fileName, String label) {
        if (!Files.isDirectory(dir)) {
            throw new LocationException("location " + label + ": not a directory");
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<ScriptFile> out = new ArrayList<>();
            for (Path p : walk.filter(Files::isRegularFile).filter(p -> fileName.test(p.getFileName().toString())).toList()) {
                out.add(new ScriptFile(p.getFileName().toString(), p.toString(), Files.readString(p, StandardCharsets.UTF_8)));
            }
            return out;
        } catch (IOException e) {
            throw new LocationException("location " + label + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static List<ScriptFile> readClasspath(String dir, Predicate<String> fileName, String label) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = LocationReader.class.getClassLoader();
        }
        List<ScriptFile> out = new ArrayList<>();
        try {
            Enumeration<URL> roots = loader.getResources(dir);
            boolean found = false;
            while (roots.hasMoreElements()) {
                found = true;
                URL url = roots.nextElement();
                if ("file".equals(url.getProtocol())) {
                    for (ScriptFile f : readDirectory(Path.of(url.toURI()), fileName, label)) {
                        out.add(new ScriptFile(f.name(), "classpath:" + dir + "/" + f.name(), f.content()));
                    }
                } else if ("jar".equals(url.getProtocol())) {
                    JarURLConnection connection = (JarURLConnection) url.openConnection();
                    connection.setUseCaches(false);
                    try (JarFile jar = connection.getJarFile()) {
                        Enumeration<JarEntry> entries = jar.entries();
                        while (entries.hasMoreElements()) {
                            JarEntry e = entries.nextElement();
                            String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                            if (!e.isDirectory() && e.getName().startsWith(dir + "/") && fileName.test(name)) {
                                try (InputStream in = jar.getInputStream(e)) {
                                    out.add(new ScriptFile(name, "classpath:" + e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                                }
                            }
                        }
                    }
                }
            }
            if (!found) {
                throw new LocationException("location " + label + ": not found on the class path");
            }
            return out;
        } catch (IOException | URISyntaxException e) {
            throw new LocationException("location " + label + ": cannot read: " + e.getMessage(), e);
        }
    }

    private List<ScriptFile> readS3(Location location, Predicate<String> fileName) {
        String prefix = location.path().isEmpty() ? "" : location.path() + "/";
        try {
            S3Client client = s3.get();
            List<ScriptFile> out = new ArrayList<>();
            ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(location.bucket()).prefix(prefix).build();
            for (S3Object object : client.listObjectsV2Paginator(request).contents()) {
                String key = object.key();
                String name = key.substring(key.lastIndexOf('/') + 1);
                if (!fileName.test(name)) {
                    continue;
                }
                byte[] bytes = client.getObjectAsBytes(GetObjectRequest.builder().bucket(location.bucket()).key(key).build()).asByteArray();
                out.add(new ScriptFile(name, "s3://" + location.bucket() + "/" + key,
                    new String(bytes, StandardCharsets.UTF_8)));
            }
            return out;
        } catch (SdkException e) {
            throw new LocationException("location " + location + ": cannot read: " + e.getMessage(), e);
        }
    }
}
