package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AddCachedModels stores models (their Provider is set to provider) in the
// catalog. Ids already stored are left as they are and reported as
// existing, so adding twice is harmless. All or nothing.
func (db *DB) AddCachedModels(ctx context.Context, provider string, models []CachedModel) (added, existing []string, err error) {
	if len(models) == 0 {
		return nil, nil, nil
	}
	sqlDB := db.writeSQL
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("add models of %s to the catalog: %w", provider, err)
	}
	defer func() { _ = tx.Rollback() }()
	query := db.rebind("INSERT INTO cached_models (provider, model_id, owned_by, created, cached_at) " +
		"VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, model_id) DO NOTHING")
	now := time.Now()
	for _, m := range models {
		at := m.CachedAt
		if at.IsZero() {
			at = now
		}
		res, err := tx.ExecContext(ctx, query, provider, m.ModelID, m.OwnedBy, m.Created, db.dbTime(at))
		if err != nil {
			return nil, nil, fmt.Errorf("add model %s/%s to the catalog: %w", provider, m.ModelID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, nil, fmt.Errorf("add model %s/%s to the catalog: %w", provider, m.ModelID, err)
		}
		if n > 0 {
			added = append(added, m.ModelID)
		} else {
			existing = append(existing, m.ModelID)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("add models of %s to the catalog: %w", provider, err)
	}
	return added, existing, nil
}

// ListCachedModels returns the catalog of one provider ("" for all),
// ordered by provider and model id.
func (db *DB) ListCachedModels(ctx context.Context, provider string) ([]CachedModel, error) {
	q := db.read.WithContext(ctx).Table("cached_models").
		Select("id, provider, model_id, owned_by, created, cached_at")
	if provider != "" {
		q = q.Where("provider = ?", provider)
	}
	rows, err := q.Order("provider, model_id").Rows()
	if err != nil {
		return nil, fmt.Errorf("read the model catalog: %w", err)
	}
	defer rows.Close()
	var out []CachedModel
	for rows.Next() {
		var m CachedModel
		err := rows.Scan(&m.ID, &m.Provider, &m.ModelID, &m.OwnedBy, &m.Created, timeScanner{dst: &m.CachedAt, loc: db.loc})
		if err != nil {
			return nil, fmt.Errorf("read the model catalog: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the model catalog: %w", err)
	}
	return out, nil
}

// RemoveCachedModel deletes one model from the catalog and reports whether
// it was there.
func (db *DB) RemoveCachedModel(ctx context.Context, provider, modelID string) (bool, error) {
	res := db.write.WithContext(ctx).Exec("DELETE FROM cached_models WHERE provider = ? AND model_id = ?", provider, modelID)
	if res.Error != nil {
		return false, fmt.Errorf("remove model %s/%s from the catalog: %w", provider, modelID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// CatalogVersion is a cheap value that changes whenever cached_models
// changes, for a running server (or several) to poll: the row count plus
// the largest id. Ids are never reused (AUTOINCREMENT, BIGSERIAL), so an
// add always raises the maximum and a remove always lowers the count.
func (db *DB) CatalogVersion(ctx context.Context) (string, error) {
	var count, maxID sql.NullInt64
	row := db.read.WithContext(ctx).Raw("SELECT COUNT(*), MAX(id) FROM cached_models").Row()
	if err := row.Scan(&count, &maxID); err != nil {
		return "", fmt.Errorf("read the model catalog version: %w", err)
	}
	return fmt.Sprintf("%d:%d", count.Int64, maxID.Int64), nil
}

// rebind turns ? placeholders into PostgreSQL's $n for queries that go
// straight to database/sql (GORM does this itself for its own calls).
func (db *DB) rebind(query string) string {
	if db.dialect != dialectPostgres {
		return query
	}
	out := make([]byte, 0, len(query)+16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, query[i])
	}
	return string(out)
}
