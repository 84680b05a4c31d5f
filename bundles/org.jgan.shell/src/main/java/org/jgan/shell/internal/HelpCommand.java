package org.jgan.shell.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code gan:help}: the gan commands and their one-line descriptions, from whatever bundle registers them (the
 * shell's, the sweep's, a variant bundle's). The runtime's shell profile makes {@code help gan} call it.
 */
@Component(service = HelpCommand.class, immediate = true, property = {
    "osgi.command.scope=gan", "osgi.command.function=help"})
public final class HelpCommand {

    private static final Pattern SENTENCE_END = Pattern.compile("(?<!\\bal|\\be\\.g|\\bi\\.e)\\. (?=[A-Z])");

    private final BundleContext context;

    @Activate
    public HelpCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("List the gan commands with their one-line descriptions")
    public String help() throws InvalidSyntaxException {
        Map<String, String> lines = new TreeMap<>();
        ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=gan)");
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object service = context.getService(ref);
            if (service == null) {
                continue;
            }
            try {
                for (String function : functions(ref.getProperty("osgi.command.function"))) {
                    lines.merge(function, describe(service.getClass(), function),
                            (a, b) -> a.length() >= b.length() ? a : b);
                }
            } finally {
                context.ungetService(ref);
            }
        }
        return format(lines);
    }

    static String format(Map<String, String> lines) {
        StringBuilder sb = new StringBuilder();
        lines.forEach((f, d) -> sb.append(String.format(Locale.ROOT, "gan:%-12s %s%n", f, d)));
        return sb.append("(help gan:NAME, e.g. help gan:start, shows a command's arguments)\n").toString();
    }

    private static List<String> functions(Object property) {
        List<String> out = new ArrayList<>();
        if (property instanceof String s) {
            out.add(s);
        } else if (property instanceof String[] a) {
            out.addAll(List.of(a));
        }
        return out;
    }

    /** The first sentence of the longest description among the public methods of that name. */
    static String describe(Class<?> type, String function) {
        String best = "";
        for (Method m : type.getMethods()) {
            Descriptor d = m.getAnnotation(Descriptor.class);
            if (m.getName().equals(function) && d != null && d.value().length() > best.length()) {
                best = d.value();
            }
        }
        // the first sentence: up to a full stop before a capital letter ("et al. 2017", "e.g. x" go on)
        Matcher end = SENTENCE_END.matcher(best);
        return end.find() ? best.substring(0, end.start()) : best;
    }
}
