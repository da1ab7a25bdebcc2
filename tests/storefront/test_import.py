from decimal import Decimal

import pytest

from storefront.catalog_import import CatalogFileError, open_products, product_rows
from storefront.models import Category, FaqEntry, Product, Shop

pytestmark = pytest.mark.django_db

GOOD = """sku,name,description,price,stock,category
TNT-1,Ridge Tent,"Two-person tent, 1.6 kg",329.00,4,Tents
TNT-2,Solo Tent,One-person tent,249,0,Tents
BAG-1.a_b,Daypack,22 litres,79.5,10,Backpacks
"""


def test_good_file_creates_shop_categories_and_products(write_file, run_import):
    out, err, error = run_import(write_file(GOOD), shop="acme", currency="eur", language="en")
    assert error is None, err
    assert "Imported 3 products (3 created, 0 updated), 0 failed" in out
    shop = Shop.objects.get(slug="acme")
    assert (shop.name, shop.currency, shop.language) == ("Acme", "EUR", "en")
    tent = Product.objects.get(shop=shop, sku="TNT-1")
    assert tent.description == "Two-person tent, 1.6 kg"
    assert tent.price == Decimal("329.00")
    assert tent.stock == 4
    assert tent.category.name == "Tents"
    assert Product.objects.get(sku="BAG-1.a_b").price == Decimal("79.50")
    assert sorted(Category.objects.filter(shop=shop).values_list("slug", flat=True)) == ["backpacks", "tents"]


def test_reimport_updates_by_sku_without_duplicates(write_file, run_import):
    run_import(write_file(GOOD), shop="acme")
    changed = GOOD.replace("329.00,4", "299.00,7").replace("Daypack", "Daypack 22")
    out, _err, error = run_import(
        write_file(changed + "NEW-1,New thing,,5,1,Tents\n"), shop="acme", name="Acme Co"
    )
    assert error is None
    assert "Imported 4 products (1 created, 3 updated), 0 failed" in out
    assert Product.objects.count() == 4
    tent = Product.objects.get(sku="TNT-1")
    assert (tent.price, tent.stock) == (Decimal("299.00"), 7)
    assert Product.objects.get(sku="BAG-1.a_b").name == "Daypack 22"
    assert Category.objects.count() == 2
    assert Shop.objects.get(slug="acme").name == "Acme Co"


def test_unchanged_rows_are_not_rewritten(write_file, run_import):
    path = write_file(GOOD)
    run_import(path, shop="acme")
    before = dict(Product.objects.values_list("sku", "updated_at"))
    run_import(path, shop="acme")
    assert dict(Product.objects.values_list("sku", "updated_at")) == before


def test_bad_rows_are_reported_with_their_line_and_good_rows_imported(write_file, run_import):
    text = (
        "sku,name,price,stock\n"  # line 1
        "OK-1,Fine,1.00,1\n"  # 2
        ',"Missing sku",1,1\n'  # 3
        "OK-2,,1,1\n"  # 4
        'OK-3,"Quoted\nnewline name",abc,1\n'  # 5-6
        "OK-4,Negative price,-1,1\n"  # 7
        "OK-5,Fractional stock,1,1.5\n"  # 8
        "OK-6,Negative stock,1,-2\n"  # 9
        "OK-1,Duplicate,2,2\n"  # 10
        "OK-7,Also fine,2,\n"  # 11
    )
    out, err, error = run_import(write_file(text), shop="acme")
    assert error is not None
    assert "Imported 2 products (2 created, 0 updated), 7 failed" in out
    assert "line 3: SKU is missing" in err
    assert "line 4: name is missing" in err
    assert "line 5: price is not a number ('abc')" in err
    assert "line 7: price is negative" in err
    assert "line 8: stock is not a whole number" in err
    assert "line 9: stock is negative" in err
    assert "line 10: duplicate SKU 'OK-1' (first on line 2)" in err
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["OK-1", "OK-7"]
    assert Product.objects.get(sku="OK-1").name == "Fine"


def test_too_long_values_are_bad_rows_not_database_errors(write_file, run_import):
    text = f"sku,name,price\n{'S' * 65},Long sku,1\nOK,{'n' * 201},1\n"
    _out, err, error = run_import(write_file(text), shop="acme")
    assert error is not None
    assert "line 2: SKU is longer than 64 characters" in err
    assert "line 3: name is longer than 200 characters" in err


def test_bom_and_quoted_newlines(write_file, run_import):
    text = 'sku,name,description,price\nA,Alpha,"line one\nline two, with comma",1\nB,Beta,"x",2\n'
    _out, err, error = run_import(write_file(data=b"\xef\xbb\xbf" + text.encode()), shop="acme")
    assert error is None, err
    assert Product.objects.get(sku="A").description == "line one\nline two, with comma"
    assert Product.objects.count() == 2


def test_line_numbers_count_quoted_newlines_and_blank_lines(write_file):
    text = 'sku,name,price\n\nA,"multi\nline\nname",1\n\nB,B,oops\r\nC,C,1\n'
    rows = list(product_rows(open_products(write_file(text))))
    assert [row.line for row in rows] == [3, 7, 8]
    assert str(rows[1]) == "line 7: price is not a number ('oops')"


def test_extra_columns_any_order_and_loose_header_names(write_file, run_import):
    text = " Price ,Colour,CATEGORY,Name, sku ,Stock,Notes\n12.5,red,Hats,Cap,CAP-1,3,ignore me\n"
    _out, err, error = run_import(write_file(text), shop="acme")
    assert error is None, err
    cap = Product.objects.get(sku="CAP-1")
    assert (cap.name, cap.price, cap.stock, cap.category.name) == ("Cap", Decimal("12.50"), 3, "Hats")


def test_columns_missing_from_the_file_keep_existing_values(write_file, run_import):
    run_import(write_file(GOOD), shop="acme")
    _out, err, error = run_import(write_file("sku,name,price\nTNT-1,Ridge Tent,310\n"), shop="acme")
    assert error is None, err
    tent = Product.objects.get(sku="TNT-1")
    assert (tent.price, tent.stock, tent.category.name) == (Decimal("310.00"), 4, "Tents")
    assert tent.description == "Two-person tent, 1.6 kg"


def test_non_utf8_file_is_one_clear_error(write_file, run_import):
    path = write_file("sku,name,price\nA,Crème brûlée,1\n", encoding="latin-1")
    _out, _err, error = run_import(path, shop="acme")
    assert error is not None
    assert "not UTF-8" in str(error)
    assert "line 2" in str(error)
    assert not Shop.objects.filter(slug="acme").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("sku,name,price".encode("utf-16"), "UTF-16"),
        (b"sku,name,stock\nA,B,1\n", "missing required column(s) price"),
        (b"question,answer\nQ,A\n", "missing required column(s) sku, name, price"),
    ],
)
def test_unreadable_files_are_one_clear_error(write_file, run_import, data, message):
    _out, _err, error = run_import(write_file(data=data), shop="acme")
    assert error is not None
    assert message in str(error)
    assert Product.objects.count() == 0


def test_missing_file_is_a_clear_error(run_import, tmp_path):
    _out, _err, error = run_import(tmp_path / "nope.csv", shop="acme")
    assert "cannot read the file" in str(error)


def test_invalid_shop_options_are_clear_errors(write_file, run_import):
    _out, _err, error = run_import(write_file(GOOD), shop="acme", currency="dollars")
    assert "currency" in str(error)
    _out, _err, error = run_import(write_file(GOOD), shop="acme", language="fr")
    assert "language" in str(error)
    assert not Shop.objects.exists()


def test_language_is_normalised_and_applies_on_update(write_file, run_import):
    run_import(write_file(GOOD), shop="tea", language="en")
    run_import(write_file(GOOD), shop="tea", language="zh_Hans", currency="cny")
    shop = Shop.objects.get(slug="tea")
    assert (shop.language, shop.currency) == ("zh-hans", "CNY")


def test_unicode_categories_get_unique_unicode_slugs(write_file, run_import, make_shop):
    shop = make_shop("tea")
    Category.objects.create(shop=shop, name="Green Tea", slug="绿茶")
    text = "sku,name,price,category\nA,龙井,1,绿茶\nB,碧螺春,1,绿茶\nC,Sencha,1,Green Tea\n"
    _out, err, error = run_import(write_file(text), shop="tea")
    assert error is None, err
    assert sorted(Category.objects.filter(shop=shop).values_list("name", "slug")) == [
        ("Green Tea", "绿茶"),
        ("绿茶", "绿茶-2"),
    ]


def test_faq_import_creates_and_updates_by_question(write_file, run_import):
    faq = 'question,answer\nHow long is shipping?,"3-5 days, usually"\nReturns?,30 days\n'
    out, err, error = run_import(shop="acme", faq=write_file(faq))
    assert error is None, err
    assert "Imported 2 FAQ entries (2 created, 0 updated), 0 failed" in out
    faq2 = "Question,Answer\nReturns?,60 days\nWarranty?,2 years\n,no question\nWarranty?,dup\n"
    out, err, error = run_import(shop="acme", faq=write_file(faq2))
    assert error is not None
    assert "Imported 2 FAQ entries (1 created, 1 updated), 2 failed" in out
    assert "line 4: question is missing" in err
    assert "line 5: duplicate question (first on line 3)" in err
    assert dict(FaqEntry.objects.values_list("question", "answer")) == {
        "How long is shipping?": "3-5 days, usually",
        "Returns?": "60 days",
        "Warranty?": "2 years",
    }


def test_products_and_faq_together(write_file, run_import):
    _out, err, error = run_import(
        write_file(GOOD), shop="acme", faq=write_file("question,answer\nQ?,A.\n"), name="Acme Outdoor"
    )
    assert error is None, err
    assert Shop.objects.get(slug="acme").name == "Acme Outdoor"
    assert FaqEntry.objects.count() == 1
    assert Product.objects.count() == 3


def test_bad_faq_file_changes_nothing(write_file, run_import):
    _out, _err, error = run_import(write_file(GOOD), shop="acme", faq=write_file(data=b""))
    assert error is not None
    assert Product.objects.count() == 0


def test_small_batches_give_the_same_result(write_file, run_import):
    rows = "".join(f"SKU-{i},Item {i},{i}.99,{i % 3},Cat {i % 4}\n" for i in range(250))
    path = write_file("sku,name,price,stock,category\n" + rows)
    out, err, error = run_import(path, shop="acme", batch_size=7)
    assert error is None, err
    assert Product.objects.count() == 250
    out, err, error = run_import(path, shop="acme", batch_size=7)
    assert "Imported 250 products (0 created, 250 updated), 0 failed" in out
    assert Product.objects.count() == 250
    assert Category.objects.count() == 4


def test_parser_module_reports_header_problems_without_a_database(write_file):
    with pytest.raises(CatalogFileError, match="missing required column"):
        open_products(write_file("name,price\nA,1\n"))


def test_reimport_moves_and_clears_categories(write_file, run_import):
    run_import(write_file(GOOD), shop="acme")
    text = "sku,name,price,category\nTNT-1,Ridge Tent,329,Shelters\nTNT-2,Solo Tent,249,\n"
    _out, err, error = run_import(write_file(text), shop="acme")
    assert error is None, err
    assert Product.objects.get(sku="TNT-1").category.name == "Shelters"
    assert Product.objects.get(sku="TNT-2").category is None
    assert Product.objects.get(sku="TNT-2").price == Decimal("249.00")
