import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks that every relative link in README.md and docs/*.md (and docs/bench/*.md) points at a file
 * or folder that exists, and that every #anchor names a heading of the target (GitHub's slugs) or
 * an explicit {@code <a id>}. Web links are not fetched. Run from the repository root:
 * {@code java .ci/LinkCheck.java}; exits 1 and lists each broken link otherwise.
 */
public final class LinkCheck {
    private static final Pattern INLINE = Pattern.compile("!?\\[(?:[^\\]\\[]|\\[[^\\]]*])*]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern REFERENCE = Pattern.compile("^\\s*\\[[^\\]]+]:\\s*(\\S+)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"");
    private static final Map<Path, Set<String>> ANCHORS = new HashMap<>();

    public static void main(String[] args) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        List<Path> files = new ArrayList<>();
        files.add(root.resolve("README.md"));
        for (String dir : List.of("docs", "docs/bench")) {
            Path d = root.resolve(dir);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
                }
            }
        }
        for (String extra : List.of("CHANGELOG.md")) {
            if (Files.exists(root.resolve(extra))) {
                files.add(root.resolve(extra));
            }
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            boolean fenced = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.trim().startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                if (fenced) {
                    continue;
                }
                List<String> targets = new ArrayList<>();
                Matcher m = INLINE.matcher(line.replaceAll("`[^`]*`", "``"));
                while (m.find()) {
                    targets.add(m.group(1));
                }
                Matcher r = REFERENCE.matcher(line);
                if (r.find()) {
                    targets.add(r.group(1));
                }
                for (String target : targets) {
                    if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                        continue; // http:, https:, mailto: ...
                    }
                    checked++;
                    String problem = check(file, target);
                    if (problem != null) {
                        broken.add(root.relativize(file) + ":" + (i + 1) + ": " + target + " (" + problem + ")");
                    }
                }
            }
        }
        broken.forEach(System.out::println);
        System.out.println("link-check: " + files.size() + " files, " + checked + " relative links");
        System.out.println((checked - broken.size()) + " passed, " + broken.size() + " failed");
        System.exit(broken.isEmpty() ? 0 : 1);
    }

    private static String check(Path from, String target) throws IOException {
        int hash = target.indexOf('#');
        String pathPart = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = pathPart.isEmpty() ? from : from.getParent().resolve(decode(pathPart)).normalize();
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (anchor == null || anchor.isEmpty() || Files.isDirectory(resolved) || !resolved.toString().endsWith(".md")) {
            return null;
        }
        return anchorsOf(resolved).contains(anchor.toLowerCase(Locale.ROOT)) ? null : "no such anchor";
    }

    private static String decode(String path) {
        return path.replace("%20", " ");
    }

    /** GitHub's heading ids: lowercase, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
    private static Set<String> anchorsOf(Path file) throws IOException {
        Set<String> cached = ANCHORS.get(file);
        if (cached != null) {
            return cached;
        }
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(file)) {
            if (line.trim().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher a = HTML_ANCHOR.matcher(line);
            while (a.find()) {
                anchors.add(a.group(1).toLowerCase(Locale.ROOT));
            }
            Matcher h = HEADING.matcher(line);
            if (!h.matches()) {
                continue;
            }
            String text = h.group(2).replaceAll("!?\\[([^\\]]*)]\\([^)]*\\)", "$1"); // links keep their text
            String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\s_-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        ANCHORS.put(file, anchors);
        return anchors;
    }
}
