package io.astaire.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.astaire.model.ChainSpec;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The registry in one SQLite file, one row per item, the schema kept by Flyway migrations under
 * {@code io/astaire/controller/db}. One connection, used under the registry's write lock: SQLite
 * has a single writer anyway, and reads are served from memory.
 */
public final class SqliteTopologyStore implements TopologyStore {
    private static final ObjectMapper JSON = TopologyCodec.jsonMapper();

    private final Path file;
    private final Connection connection;
    private final DatabaseLock lock;

    private SqliteTopologyStore(Path file, Connection connection, DatabaseLock lock) {
        this.file = file;
        this.connection = connection;
        this.lock = lock;
    }

    /**
     * Opens (creating it and its folder if needed) and migrates the database at {@code file},
     * holding its {@link DatabaseLock} until {@link #close()}.
     *
     * @throws IllegalStateException "database in use by pid N" when another controller has it open
     */
    public static SqliteTopologyStore open(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the folder of the database " + absolute + ": " + e.getMessage(), e);
        }
        DatabaseLock lock = DatabaseLock.acquire(absolute);
        try {
            return open(absolute, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static SqliteTopologyStore open(Path absolute, DatabaseLock lock) {
        String url = "jdbc:sqlite:" + absolute;
        try {
            Flyway.configure(SqliteTopologyStore.class.getClassLoader())
                    .dataSource(url, null, null)
                    .locations("classpath:io/astaire/controller/db")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new IllegalStateException("cannot prepare the database " + absolute + ": " + e.getMessage(), e);
        }
        try {
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                // Durable before the API answers: a restart or a power cut loses no acknowledged write.
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA foreign_keys = ON");
            }
            c.setAutoCommit(false);
            return new SqliteTopologyStore(absolute, c, lock);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the database " + absolute + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized RegistryState load() {
        try {
            Map<String, Long> meta = new HashMap<>();
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT key, value FROM meta")) {
                while (rs.next()) {
                    meta.put(rs.getString(1), rs.getLong(2));
                }
            }
            Map<Kind, Map<String, Item<?>>> items = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                Map<String, Item<?>> m = new HashMap<>();
                String sql = k == Kind.SETTINGS ? "SELECT 'settings', body, version FROM settings" : "SELECT name, body, version FROM " + k.plural();
                try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    while (rs.next()) {
                        Object spec = JSON.readValue(rs.getString(2), k.type());
                        m.put(rs.getString(1), new Item<>(spec, rs.getLong(3)));
                    }
                }
                items.put(k, m);
            }
            connection.commit();
            return new RegistryState(meta.getOrDefault("version", 0L), meta.getOrDefault("next_spi", 1L), items);
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("cannot read the database " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void commit(long version, long nextSpi, List<Change> changes) {
        try {
            // Chains are deleted before any is written: two chains may swap SPIs in one commit, and
            // UNIQUE(spi) is checked per statement.
            for (Change c : changes) {
                if (c.item() == null || c.kind() == Kind.CHAIN) {
                    delete(c);
                }
            }
            for (Change c : changes) {
                if (c.item() != null) {
                    upsert(c);
                }
            }
            try (PreparedStatement p = connection.prepareStatement("UPDATE meta SET value = ? WHERE key = ?")) {
                p.setLong(1, version);
                p.setString(2, "version");
                p.addBatch();
                p.setLong(1, nextSpi);
                p.setString(2, "next_spi");
                p.addBatch();
                p.executeBatch();
            }
            connection.commit();
        } catch (SQLException | JsonProcessingException e) {
            try {
                connection.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("cannot write to the database " + file + ": " + e.getMessage(), e);
        }
    }

    private void delete(Change c) throws SQLException {
        String sql = c.kind() == Kind.SETTINGS ? "DELETE FROM settings" : "DELETE FROM " + c.kind().plural() + " WHERE name = ?";
        try (PreparedStatement p = connection.prepareStatement(sql)) {
            if (c.kind() != Kind.SETTINGS) {
                p.setString(1, c.name());
            }
            p.executeUpdate();
        }
    }

    private void upsert(Change c) throws SQLException, JsonProcessingException {
        String body = JSON.writeValueAsString(c.item().spec());
        switch (c.kind()) {
            case SETTINGS -> {
                try (PreparedStatement p = connection.prepareStatement(
                        "INSERT INTO settings (id, body, version) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, version = excluded.version")) {
                    p.setString(1, body);
                    p.setLong(2, c.item().version());
                    p.executeUpdate();
                }
            }
            case CHAIN -> {
                try (PreparedStatement p = connection.prepareStatement("INSERT INTO chains (name, spi, body, version) VALUES (?, ?, ?, ?)")) {
                    p.setString(1, c.name());
                    p.setInt(2, ((ChainSpec) c.item().spec()).spi());
                    p.setString(3, body);
                    p.setLong(4, c.item().version());
                    p.executeUpdate();
                }
            }
            default -> {
                try (PreparedStatement p = connection.prepareStatement(
                        "INSERT INTO " + c.kind().plural() + " (name, body, version) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body, version = excluded.version")) {
                    p.setString(1, c.name());
                    p.setString(2, body);
                    p.setLong(3, c.item().version());
                    p.executeUpdate();
                }
            }
        }
    }

    @Override
    public String location() {
        return file.toString();
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // Closing after a failed write: nothing more to lose, the last commit is on disk.
        } finally {
            lock.close();
        }
    }
}
