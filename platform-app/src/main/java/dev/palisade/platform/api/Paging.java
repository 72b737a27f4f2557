package dev.palisade.platform.api;

import java.util.Map;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Component;

/**
 * Turns {@code page}, {@code size} and {@code sort=field[,asc|desc]} into a Pageable. Only the
 * fields a list offers may be sorted on, so a client cannot sort (and probe) by any column.
 */
@Component
public class Paging {

    /**
     * The furthest a list pages ({@code page × size} items skipped): beyond it a page number is
     * refused rather than computed into an offset that overflows (or a scan that long).
     */
    public static final long MAX_OFFSET = 1_000_000;

    private final int maxSize;

    Paging(ApiProperties properties) {
        this.maxSize = properties.maxPageSize();
    }

    /**
     * @param sortable API field name → entity property
     */
    public Pageable of(Integer page, Integer size, String sort, Map<String, String> sortable, Sort defaultSort) {
        int p = page == null ? 0 : page;
        int s = size == null ? 20 : size;
        if (p < 0) {
            throw ApiProblems.badRequest("page", "must be 0 or more");
        }
        if (s < 1 || s > maxSize) {
            throw ApiProblems.badRequest("size", "must be between 1 and " + maxSize);
        }
        requireReachable(p, s);
        Sort order = defaultSort;
        if (sort != null && !sort.isBlank()) {
            String[] parts = sort.split(",", -1);
            String property = sortable.get(parts[0].trim());
            if (property == null || parts.length > 2) {
                throw ApiProblems.badRequest("sort", "must be one of " + sortable.keySet() + ", optionally followed by ,asc or ,desc");
            }
            Sort.Direction direction = Sort.Direction.ASC;
            if (parts.length == 2) {
                direction = Sort.Direction.fromOptionalString(parts[1].trim())
                        .orElseThrow(() -> ApiProblems.badRequest("sort", "direction must be asc or desc"));
            }
            order = Sort.by(direction, property);
        }
        return PageRequest.of(p, s, order);
    }

    /** Refuses a page that starts past {@link #MAX_OFFSET}. */
    public static void requireReachable(int page, int size) {
        if ((long) page * size > MAX_OFFSET) {
            throw ApiProblems.badRequest("page", "must be at most " + MAX_OFFSET / size + " with size " + size
                    + " (page × size at most " + MAX_OFFSET + "); narrow the list with its filters instead");
        }
    }
}
