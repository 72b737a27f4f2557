package dev.palisade.web.support;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Slice;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * Links to the previous and next page of a list, keeping every other query parameter (filters)
 * of the current request. A {@link Page} also knows its total; a {@link Slice} only whether
 * there is a next page (total -1).
 */
public record Pager(int number, int totalPages, long totalElements, String previousUrl, String nextUrl) {

    public static Pager of(Slice<?> slice) {
        boolean counted = slice instanceof Page<?>;
        Page<?> page = counted ? (Page<?>) slice : null;
        return new Pager(slice.getNumber() + 1, counted ? Math.max(page.getTotalPages(), 1) : -1,
                counted ? page.getTotalElements() : -1,
                slice.hasPrevious() ? urlFor(slice.getNumber() - 1) : null,
                slice.hasNext() ? urlFor(slice.getNumber() + 1) : null);
    }

    private static String urlFor(int page) {
        return ServletUriComponentsBuilder.fromCurrentRequest().replaceQueryParam("page", page)
                .build().toUriString();
    }
}
